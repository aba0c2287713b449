# Aegir 3 (aegir-project/provision with the hostmaster front end), as
# Provision lays out its server, /var/aegir:
#
#   - config/<server>/nginx.conf (or apache.conf): the web server's
#     configuration for a server, with config/nginx.conf a symlink to the
#     master's that the web server includes (Provision_Config_Http_Server);
#     config/<server>/nginx/{pre.d,platform.d,vhost.d,subdir.d,post.d}:
#     one file per platform and per site (Provision_Service_http_public),
#     config/includes/ and config/ssl.d/.
#   - platforms/<platform>/: one Drupal tree per platform, and in it
#     sites/<site>/ per site, named by its domain: settings.php,
#     drushrc.php, files/ (with tmp, styles, css, js, ctools, imagecache,
#     ...) and private/{files,temp}, modules/, themes/, libraries/
#     (_provision_drupal_create_directories); sites/<alias> symlinks for a
#     Drupal 7 site's aliases.
#
# The seed runs those sites on several web servers two ways, both built
# from these recipes (see docs/apps/aegir.md):
#
#   - Pack: the platforms folder is shared, exported over NFS by the
#     master and mounted at the same path on every slave; only the web
#     server configuration is copied. One site, recipe "aegir", whose
#     root is the config folder and whose storage is the platforms share
#     (export = mount = /var/aegir/platforms, served in place by the
#     master, which is the site's primary).
#   - Cluster: platforms and configuration copied to every web node, each
#     site's files on shared storage (the seed's open problem). Two sites:
#     recipe "aegir" for the config folder, recipe "aegir-platforms" for
#     the platforms folder.

recipe "aegir" {
  description = "Aegir's web server configuration (/var/aegir/config) on every web node, reloaded when it changed; with the platforms share as storage, the Pack mode"
  detect      = ["server_master", "${param.web_server == "apache2" ? "apache" : "nginx"}.conf"]

  param "web_server" {
    default     = "nginx"
    description = "the web server Aegir configures: \"nginx\" or \"apache2\""
  }

  assert "web_server" {
    condition = contains(["nginx", "apache2"], param.web_server)
    message   = "web_server is \"nginx\" or \"apache2\""
  }

  assert "pack_storage" {
    condition = try(site.storage.mount == "", true) || can(regex("/platforms$", site.storage.mount))
    message   = "an aegir site's storage is the platforms share of the Pack mode (mounted at /var/aegir/platforms); in the Cluster mode the files storage belongs to the aegir-platforms site"
    severity  = "warning"
  }

  # Aegir's remote server instructions: each web server includes
  # config/<web server>.conf. Provision makes that link on the master;
  # the slaves get it here, once (creates).
  exec "include_config" {
    command = param.web_server == "nginx" ? "ln -s ${site.root}/nginx.conf /etc/nginx/conf.d/aegir.conf" : "ln -s ${site.root}/apache.conf /etc/apache2/conf-available/aegir.conf && a2enconf -q aegir"
    creates = param.web_server == "nginx" ? "/etc/nginx/conf.d/aegir.conf" : "/etc/apache2/conf-enabled/aegir.conf"
  }

  # Running on every node, and reloaded where the configuration just came
  # in (the primary's is Aegir's own to reload), after the test.
  service "web_server" {
    name      = param.web_server
    check     = param.web_server == "nginx" ? "nginx -t" : "apachectl configtest"
    on_change = [replicate, exec.include_config]
  }
}

recipe "aegir-platforms" {
  description = "Aegir's platforms (/var/aegir/platforms) in the Cluster mode: every platform's code replicated, each site's files and private files on shared storage"

  # A site's folders are stored by its domain, whatever its platform:
  # Aegir's migrate task moves a site to another platform with its files
  # folder (the link), which then points to the right place already.
  dynamic_dir "*/sites/*/files" {
    shared = "$2/files"
  }
  dynamic_dir "*/sites/*/private" {
    shared = "$2/private"
  }
}
