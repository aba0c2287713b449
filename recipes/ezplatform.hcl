# eZ Platform, clustered as eZ's "Clustering" page describes it (the seed
# ezplatform-clustering.txt): binary files on shared storage behind the
# DFS IO handler (its metadata in a database of its own), memcached
# listening on each web node's private address, and the rewrite rule that
# hands image requests to the front controller, which reads them through
# the DFS handler.
#
# Two layouts, chosen by param.layout and checked by detect:
#   "3.x"         the public ezsystems/ezplatform repository, v3 (Symfony 4):
#                 config/packages, public/index.php, var/cache, var/log,
#                 bin/console, binary files in public/var/<siteaccess>/storage
#                 (ezplatform-kernel: io.root_dir = %webroot_dir%/$var_dir$/
#                 $storage_dir$, webroot_dir = <project>/public).
#   "2.x", "1.x"  eZ Platform 1.x/2.x as the seed writes it (Symfony 2.8/3.4):
#                 app/config, web/app.php, binary files in web/var/<siteaccess>/
#                 storage; caches and logs in var/cache and var/logs (2.x:
#                 the repository's 2.5 branch) or app/cache and app/logs
#                 (1.x: its 1.7 and 1.13 branches), console in bin/ or app/.
recipe "ezplatform" {
  description = "eZ Platform 1.x-3.x: binary files on shared storage behind the DFS IO handler, memcached on private addresses, DFS rewrite rules"

  # Files each layout's tree holds (ezsystems/ezplatform master, 2.5, 1.13).
  detect = (param.layout == "3.x" ? ["public/index.php", "config/packages/ezplatform.yaml", "bin/console"]
    : param.layout == "2.x" ? ["web/app.php", "app/config/config.yml", "app/config/ezplatform.yml", "bin/console"]
  : ["web/app.php", "app/config/config.yml", "app/config/ezplatform.yml", "app/console"])

  # --- Parameters ------------------------------------------------------------

  param "layout" {
    default     = "3.x"
    description = "the tree's layout: \"3.x\" (config/packages, public/index.php), \"2.x\" or \"1.x\" (app/config, web/app.php)"
  }

  # The DFS metadata database (the seed's doctrine connection "dfs").
  param "db_host" {
    description = "the database server the DFS table lives on, as the web nodes reach it"
  }
  param "db_port" {
    default     = 3306
    description = "its port"
  }
  param "db_name" {
    default     = "ezdfs"
    description = "the DFS table's own database (the seed's dbname: ezdfs); created when missing"
  }
  param "db_user" {
    description = "the database user eZ Platform connects as for DFS metadata; it must be allowed to create db_name (GRANT ALL ON ezdfs.* is enough)"
  }
  param "db_password" {
    sensitive   = true
    description = "that user's password"
  }
  param "dfs_nfs_path" {
    default     = null
    description = "where the DFS keeps binary files (the NFS adapter's root, dfs_nfs_path): on the storage, inside the site's folder <mount>/<site> (the default); the tree's <web>/var moves to <dfs_nfs_path>/var"
  }
  param "symfony_env" {
    default     = "prod"
    description = "the Symfony environment the site runs in (APP_ENV, SYMFONY_ENV): whose cache is cleared when the DFS configuration changes"
  }
  param "url_prefix" {
    default     = "$var_dir$/$storage_dir$"
    description = "io.url_prefix: the URL prefix binary files are served under; the default matches the NFS adapter's directory"
  }
  param "dfs_schema" {
    default     = null
    description = "an SQL file, relative to the site root, that creates the DFS table; default: the kernel's data/mysql/dfs_schema.sql (1.x, 2.x), the table as ezplatform-kernel's schema.yaml declares it (3.x, which ships no SQL file)"
  }

  # memcached (the seed: shared persistence cache and sessions).
  param "memcached" {
    default     = true
    description = "install memcached on every node of the site and have it listen on the node's private address"
  }
  param "memcached_listen" {
    default     = []
    description = "more addresses memcached listens on, besides the node's own (node.address)"
  }

  # The web server whose rewrite rules get the DFS image rule.
  param "web_server" {
    default     = "nginx"
    description = "\"nginx\", \"apache\" or \"none\": which web server's rewrite snippet shoal writes, checks and reloads"
  }
  param "nginx_rewrite" {
    default     = "/etc/nginx/ez_params.d/ez_rewrite_dfsimage_params"
    description = "where the nginx snippet goes: the vhost includes it before its other rewrite rules (eZ's vhost.template includes ez_params.d/ez_rewrite_dfsimage_params when the binary data handler is dfs)"
  }
  param "apache_rewrite" {
    default     = "/etc/apache2/ez_params.d/ez_rewrite_dfsimage.conf"
    description = "where the Apache snippet goes: the vhost Includes it after RewriteEngine On, before the rule that serves storage images from disk"
  }

  # --- The site's values, checked before anything connects --------------------

  assert "layout" {
    condition = contains(["3.x", "2.x", "1.x"], param.layout)
    message   = "site \"${site.name}\": layout is \"3.x\", \"2.x\" or \"1.x\" (a string), not ${jsonencode(param.layout)}."
  }
  assert "web_server" {
    condition = contains(["nginx", "apache", "none"], param.web_server)
    message   = "site \"${site.name}\": web_server is \"nginx\", \"apache\" or \"none\", not ${jsonencode(param.web_server)}."
  }
  assert "db_name" {
    condition = can(regex("^[A-Za-z0-9_]{1,64}$", param.db_name))
    message   = "site \"${site.name}\": db_name ${jsonencode(param.db_name)} must be 1 to 64 letters, digits and underscores (it is written into SQL)."
  }
  assert "db_host" {
    condition = can(regex("^[A-Za-z0-9._:-]+$", param.db_host))
    message   = "site \"${site.name}\": db_host ${jsonencode(param.db_host)} must be a host name or an IP address."
  }
  assert "db_port" {
    condition = can(tonumber(param.db_port)) && try(tonumber(param.db_port) >= 1 && tonumber(param.db_port) <= 65535, false)
    message   = "site \"${site.name}\": db_port must be a port number from 1 to 65535."
  }
  assert "db_credentials" {
    # newlines would end the option file's line and the YAML's value
    condition = !can(regex("[\\x00-\\x1f\\x7f]", "${param.db_user}${param.db_password}")) && param.db_user != ""
    message   = "site \"${site.name}\": db_user must be set, and neither it nor db_password may hold a newline or another control character."
  }
  assert "dfs_nfs_path" {
    condition = (param.dfs_nfs_path == null ? true
      : can(regex("^/", param.dfs_nfs_path)) && !can(regex("(^|/)\\.\\.?(/|$)", param.dfs_nfs_path))
    && (trimsuffix(param.dfs_nfs_path, "/") == site.storage.path || trimprefix(param.dfs_nfs_path, "${site.storage.path}/") != param.dfs_nfs_path))
    message = "site \"${site.name}\": dfs_nfs_path ${jsonencode(param.dfs_nfs_path)} must be an absolute path without . or .. on the storage, inside the site's folder ${site.storage.path}: the DFS binary files and the relocated <web>/var must be where every web node sees them."
  }
  assert "dfs_schema" {
    condition = param.dfs_schema == null ? true : can(regex("^[A-Za-z0-9._/-]+$", param.dfs_schema)) && !can(regex("(^/|(^|/)\\.\\.(/|$))", param.dfs_schema))
    message   = "site \"${site.name}\": dfs_schema ${jsonencode(param.dfs_schema)} must be a path relative to the site root, without .. (letters, digits, . _ - /)."
  }

  # --- Folders: 3.x -------------------------------------------------------------

  # User content: public/var/<siteaccess>/storage (images, image aliases,
  # original files). The whole of public/var moves, so every siteaccess's
  # var_dir does; it lands in <dfs_nfs_path>/var, where the NFS adapter's
  # directory <dfs_nfs_path>/$var_dir$/$storage_dir$ finds it.
  dynamic_dir "public/var" {
    when   = param.layout == "3.x"
    shared = trimprefix("${trimprefix(trimsuffix(coalesce(param.dfs_nfs_path, site.storage.path), "/"), site.storage.path)}/var", "/")
  }
  # Symfony's cache (kernel.cache_dir); emptied on a replica whose code changed.
  cache_dir "var/cache" {
    when = param.layout != "1.x"
  }
  # Each node's own logs (kernel.logs_dir) and file sessions
  # (ezplatform.session.save_path, var/sessions/<env>).
  local_dir "var/log" {
    when = param.layout == "3.x"
  }
  local_dir "var/sessions" {
    when = param.layout != "1.x"
  }
  # What the web server's user writes, as eZ's install guide sets it up
  # (setfacl on var and public/var).
  writable "var" {
    when = param.layout != "1.x"
  }
  writable "public/var" {
    when = param.layout == "3.x"
  }

  # --- Folders: 1.x and 2.x -------------------------------------------------------

  dynamic_dir "web/var" {
    when   = param.layout != "3.x"
    shared = trimprefix("${trimprefix(trimsuffix(coalesce(param.dfs_nfs_path, site.storage.path), "/"), site.storage.path)}/var", "/")
  }
  writable "web/var" {
    when = param.layout != "3.x"
  }
  # 2.x (Symfony 3.4): var/logs.
  local_dir "var/logs" {
    when = param.layout == "2.x"
  }
  # 1.x (Symfony 2.8): app/cache and app/logs.
  cache_dir "app/cache" {
    when = param.layout == "1.x"
  }
  local_dir "app/logs" {
    when = param.layout == "1.x"
  }
  writable "app/cache" {
    when = param.layout == "1.x"
  }
  writable "app/logs" {
    when = param.layout == "1.x"
  }

  # --- The DFS IO handler's configuration ---------------------------------------
  # The seed's four sections, with the site's values: a doctrine connection
  # "dfs", a Flysystem local adapter on the storage, the ez_io metadata and
  # binary-data handlers, and the default scope's io settings. Symfony reads
  # "%...%" as a parameter, so a literal % in a value is written %%.
  # Readable by the web server's group only: it holds the password.

  # 3.x: config/packages/shoal_cluster.yaml, which Symfony loads by itself
  # (src/Kernel.php reads config/packages/*.yaml); 1.x/2.x: its own file,
  # imported from app/config/config.yml, under the seed's top-level key
  # ezpublish.
  file "dfs_config" {
    path  = param.layout == "3.x" ? "config/packages/shoal_cluster.yaml" : "app/config/shoal_cluster.yml"
    mode  = "0640"
    owner = "root"
    group = site.group != "" ? site.group : "www-data"
    content = join("", [
      "# Managed by shoal (recipe ezplatform, site ${site.name}): the DFS IO handler on shared storage.\n",
      yamlencode({
        doctrine = { dbal = { connections = { dfs = {
          driver   = "pdo_mysql"
          host     = param.db_host
          port     = tonumber(param.db_port)
          dbname   = param.db_name
          user     = replace(param.db_user, "%", "%%")
          password = replace(param.db_password, "%", "%%")
          charset  = "utf8mb4"
        } } } }
        oneup_flysystem = { adapters = { nfs_adapter = { local = {
          directory = "${replace(trimsuffix(coalesce(param.dfs_nfs_path, site.storage.path), "/"), "%", "%%")}/$var_dir$/$storage_dir$"
        } } } }
        ez_io = {
          binarydata_handlers = { nfs = { flysystem = { adapter = "nfs_adapter" } } }
          metadata_handlers   = { dfs = { legacy_dfs_cluster = { connection = "doctrine.dbal.dfs_connection" } } }
        }
        (param.layout == "3.x" ? "ezplatform" : "ezpublish") = { system = { default = { io = {
          metadata_handler   = "dfs"
          binarydata_handler = "nfs"
          url_prefix         = param.url_prefix
        } } } }
      }),
    ])
  }
  line "dfs_import" {
    when         = param.layout != "3.x"
    path         = "app/config/config.yml"
    match        = "^\\s*-\\s*\\{\\s*resource:\\s*['\"]?shoal_cluster\\.yml['\"]?\\s*\\}\\s*$"
    line         = "    - { resource: shoal_cluster.yml }"
    insert_after = "^imports:"
  }

  # Symfony compiles its configuration into its cache (var/cache, app/cache
  # on 1.x) and reads it from there: a DFS configuration written or changed
  # takes effect once that cache is cleared, on each node whose file
  # changed, with the application's own console, as the site's owner.
  exec "cache_clear" {
    command   = "php ${param.layout == "1.x" ? "app/console" : "bin/console"} cache:clear --env=${param.symfony_env} --no-warmup"
    user      = site.owner != "" ? site.owner : "www-data"
    on_change = [file.dfs_config, line.dfs_import]
  }

  # --- The DFS database ---------------------------------------------------------
  # The seed: "create the DFS table in its own database, using
  # vendor/ezsystems/ezpublish-kernel/data/mysql/dfs_schema.sql". Done once,
  # from the primary (it has the tree), against the database server: the
  # credentials in a 0600 option file only root reads, never on a command
  # line; guarded by the table's existence.

  package "mysql_client" {
    on    = "primary"
    names = ["mariadb-client"]
  }
  file "dfs_client" {
    on    = "primary"
    path  = "/etc/shoal/${site.name}/dfs-client.cnf"
    mode  = "0600"
    owner = "root"
    group = "root"
    content = join("", [
      "# Managed by shoal (recipe ezplatform, site ${site.name}): the DFS database's client options.\n",
      "[client]\n",
      "host = ${param.db_host}\n",
      "port = ${param.db_port}\n",
      "user = \"${replace(replace(param.db_user, "\\", "\\\\"), "\"", "\\\"")}\"\n",
      "password = \"${replace(replace(param.db_password, "\\", "\\\\"), "\"", "\\\"")}\"\n",
    ])
  }
  exec "dfs_database" {
    on    = "primary"
    after = [package.mysql_client, file.dfs_client]
    unless = join(" ", [
      "test \"$(mysql --defaults-extra-file=/etc/shoal/${site.name}/dfs-client.cnf -N -B -e",
      "\"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${param.db_name}' AND TABLE_NAME = 'ezdfsfile'\")\" = 1",
    ])
    # 3.x ships no SQL file: then the statement below, ezdfsfile as
    # ezplatform-kernel's storage/legacy/schema.yaml declares it.
    command = join("\n", [
      "mysql --defaults-extra-file=/etc/shoal/${site.name}/dfs-client.cnf -e 'CREATE DATABASE IF NOT EXISTS `${param.db_name}` CHARACTER SET utf8mb4' &&",
      (param.dfs_schema != null || param.layout != "3.x"
        ? "mysql --defaults-extra-file=/etc/shoal/${site.name}/dfs-client.cnf ${param.db_name} < ${coalesce(param.dfs_schema, "vendor/ezsystems/ezpublish-kernel/data/mysql/dfs_schema.sql")}"
      : "mysql --defaults-extra-file=/etc/shoal/${site.name}/dfs-client.cnf ${param.db_name}"),
    ])
    stdin = (param.dfs_schema != null || param.layout != "3.x" ? "" : <<-SQL
      CREATE TABLE IF NOT EXISTS ezdfsfile (
        name text NOT NULL,
        name_trunk text NOT NULL,
        name_hash varchar(34) NOT NULL DEFAULT '',
        datatype varchar(255) NOT NULL DEFAULT 'application/octet-stream',
        scope varchar(25) NOT NULL DEFAULT '',
        size bigint unsigned NOT NULL DEFAULT 0,
        mtime int NOT NULL DEFAULT 0,
        expired tinyint(1) NOT NULL DEFAULT 0,
        status tinyint(1) NOT NULL DEFAULT 0,
        PRIMARY KEY (name_hash),
        KEY ezdfsfile_name (name(191)),
        KEY ezdfsfile_name_trunk (name_trunk(191)),
        KEY ezdfsfile_mtime (mtime),
        KEY ezdfsfile_expired_name (expired, name(191))
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
    SQL
    )
  }

  # --- memcached ------------------------------------------------------------------
  # The seed: "Memcached must not be bound to the local address if clusters
  # are in use, or user logins will fail"; in production, not 0.0.0.0
  # either, but an internal or firewalled interface. Debian's
  # /etc/memcached.conf says "-l 127.0.0.1"; its init script has no reload.

  package "memcached" {
    when  = param.memcached
    names = ["memcached"]
  }
  line "memcached_listen" {
    when  = param.memcached
    after = [package.memcached]
    path  = "/etc/memcached.conf"
    match = "^-l\\s"
    line  = "-l ${join(",", concat([node.address], param.memcached_listen))}"
  }
  service "memcached" {
    when      = param.memcached
    reload    = "restart"
    on_change = [line.memcached_listen]
  }
  assert "memcached_not_loopback" {
    when      = param.memcached
    condition = !can(regex("^(127\\.|localhost$|::1$|\\[::1\\]$)", node.address))
    message   = "site \"${site.name}\": memcached on ${node.name} would listen on ${node.address}, the loopback: the other web nodes could not reach it and user logins would fail. Give the node the address the others reach it by (node \"${node.name}\" { address = \"10.0.0.11\" })."
  }
  assert "memcached_not_everywhere" {
    when      = param.memcached
    condition = !contains(concat([node.address], param.memcached_listen), "0.0.0.0")
    message   = "site \"${site.name}\": memcached on ${node.name} would listen on 0.0.0.0, every interface: fine for development, but in production bind it to an internal or firewalled address only."
    severity  = "warning"
  }

  # --- Rewrite rules --------------------------------------------------------------
  # The seed's rule for the version's front controller (eZ's
  # doc/nginx/ez_params.d/ez_rewrite_dfsimage_params and the DFS rule of
  # doc/apache2/vhost.template): storage images go through it, so the DFS
  # handler serves them. Checked before any reload; reloaded only when the
  # snippet changed.

  file "nginx_rewrite" {
    when    = param.web_server == "nginx"
    path    = param.nginx_rewrite
    content = <<-NGINX
      # Managed by shoal (recipe ezplatform, site ${site.name}): storage images are served
      # by the front controller through the DFS IO handler. Include it before the other rules.
      rewrite "^/var/([^/]+/)?storage/images(-versioned)?/(.*)" "/${param.layout == "3.x" ? "index.php" : "app.php"}" break;
    NGINX
  }
  service "nginx" {
    when      = param.web_server == "nginx"
    check     = "nginx -t"
    on_change = [file.nginx_rewrite]
  }

  file "apache_rewrite" {
    when    = param.web_server == "apache"
    path    = param.apache_rewrite
    content = <<-APACHE
      # Managed by shoal (recipe ezplatform, site ${site.name}): storage images are served
      # by the front controller through the DFS IO handler. Include it before the rule
      # that serves them from disk.
      RewriteRule ^/var/([^/]+/)?storage/images(-versioned)?/.* /${param.layout == "3.x" ? "index.php" : "app.php"} [L]
    APACHE
  }
  service "apache2" {
    when      = param.web_server == "apache"
    check     = "apachectl configtest"
    on_change = [file.apache_rewrite]
  }
}
