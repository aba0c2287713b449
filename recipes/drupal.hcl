# Drupal 7 and Drupal 10/11, one code tree serving one or more sites
# (sites/<site>/, "multisite"), as Drupal's own trees lay them out:
#
#   - Drupal 7 (the drupal/drupal 7.x tarball): index.php, includes/,
#     modules/, themes/, sites/all/{modules,themes,libraries}, and per site
#     sites/<site>/settings.php and sites/<site>/files, the public files
#     path install.php sets (conf_path() . '/files').
#   - Drupal 10/11 (the drupal/drupal tarball, or web/ of a
#     drupal/recommended-project checkout with vendor/ beside it): core/,
#     modules/, themes/, profiles/, vendor/, and per site
#     sites/<site>/settings.php and sites/<site>/files, the default of
#     $settings['file_public_path'].
#
# Every site's files move to the storage, at <mount>/<site name>/
# sites/<site>/files whatever the docroot; the code, settings.php included, is replicated from
# the primary. A site added to the tree later is picked up by the next plan.
recipe "drupal" {
  description = "Drupal 7 and 10/11: every site's public and private files on shared storage, the code replicated"
  detect      = ["${param.docroot}/index.php", "${param.docroot}/sites/default/default.settings.php"]

  param "docroot" {
    default     = "."
    description = "where index.php is, relative to the site root: \".\" (a tarball tree, Drupal 7), \"web\" (drupal/recommended-project: vendor/ beside it is replicated too) or \"docroot\""
  }

  assert "docroot" {
    condition = contains([".", "web", "docroot"], param.docroot)
    message   = "docroot is \".\", \"web\" or \"docroot\": the folder holding index.php and sites/"
  }

  # --- User data --------------------------------------------------------------
  # Public files: uploads, and what Drupal derives from them or generates on
  # demand and must serve from any node: image styles (files/styles, D7's
  # files/imagecache), CSS/JS aggregates (files/css, files/js: a page one
  # node renders links aggregates another node must find), and, from
  # Drupal 8 on, compiled Twig templates (files/php, PhpStorageFactory's
  # default) and often the config sync folder (files/config_<hash>/sync).
  # Those live inside files and so are shared with it: compiled templates
  # are valid on every node, whose code replicate keeps identical; nothing
  # here purges them (a purge on one node would empty them for all: clear
  # them with drush cr).
  dynamic_dir "sites/*/files" {
    when = param.docroot == "."
  }
  dynamic_dir "web/sites/*/files" {
    when   = param.docroot == "web"
    shared = "sites/$1/files"
  }
  dynamic_dir "docroot/sites/*/files" {
    when   = param.docroot == "docroot"
    shared = "sites/$1/files"
  }

  # Private files, where Drupal 7 sites and Aegir keep them
  # (file_private_path = sites/<site>/private/files, with private/temp).
  # A pattern relocates only the sites that have one.
  dynamic_dir "sites/*/private" {
    when = param.docroot == "."
  }
  dynamic_dir "web/sites/*/private" {
    when   = param.docroot == "web"
    shared = "sites/$1/private"
  }
  dynamic_dir "docroot/sites/*/private" {
    when   = param.docroot == "docroot"
    shared = "sites/$1/private"
  }

  # --- Owned by the web server ------------------------------------------------
  # Drupal writes below both (file_prepare_directory makes folders 0775).
  # They live on the storage: the primary owns each one once, at the top.
  writable "sites/*/files" {
    when = param.docroot == "."
    mode = "0775"
  }
  writable "web/sites/*/files" {
    when = param.docroot == "web"
    mode = "0775"
  }
  writable "docroot/sites/*/files" {
    when = param.docroot == "docroot"
    mode = "0775"
  }
  writable "sites/*/private" {
    when = param.docroot == "."
    mode = "0770"
  }
  writable "web/sites/*/private" {
    when = param.docroot == "web"
    mode = "0770"
  }
  writable "docroot/sites/*/private" {
    when = param.docroot == "docroot"
    mode = "0770"
  }
}
