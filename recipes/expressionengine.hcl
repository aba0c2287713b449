# ExpressionEngine 6 and 7, as laid out by the public
# ExpressionEngine/ExpressionEngine tree, run on a master and mirrors in
# different data centres after the "load-balanced / distributed EE"
# how-to (seeds/expressionengine-mirrors.txt), without its Dropbox and
# without passwords in crontabs:
#
# - the site's primary is the master, where editors work; its replicas
#   are the mirrors. shoal replicates the code from the master on apply.
# - the folders users and editors fill (uploads, templates, the seed's
#   assets/) are each node's own copy (local_dir): mirrors have no shared
#   storage, so each pulls them from the master with rsync over SSH, as
#   root through a key the master accepts only for rrsync -ro on the site
#   root (ssh_trust), from cron every few minutes under flock, and once
#   during apply.
# - the master dumps its database every half hour into assets/sql (one
#   dump, renamed into place only once complete); each mirror pulls the
#   newest dump it has not imported, imports it inside a lock and removes
#   it only after the import succeeded. An import loads the dump into a
#   staging database and swaps its tables in with one RENAME TABLE, so
#   readers never see a missing or half-filled table; the mirrors start
#   their imports spread over import_spread seconds. The database login is in a 0600
#   option file, never on a command line or in a crontab.
# - a zone on the dns node points the site's name at every node (round
#   robin, TTL 60) and the editors' name at the master alone.
#
# The jobs are recipes/expressionengine/mirror.sh, installed on every node.
recipe "expressionengine" {
  description = "ExpressionEngine 6/7 on a master and mirrors: files pulled from the master, database dumps imported, round-robin DNS"

  # system/ee/ExpressionEngine/Boot/boot.php: index.php and admin.php stop
  # without it ("Your system folder path does not appear to be set
  # correctly"); system/user/config/config.php: what the installer writes.
  detect = ["admin.php", "system/ee/ExpressionEngine/Boot/boot.php", "system/user/config/config.php"]

  # --- Parameters -------------------------------------------------------------

  param "domain" {
    description = "the site's name (site.example): a zone served from the dns node, with an A record for every node of the site"
  }
  param "admin_name" {
    default     = "admin"
    description = "the editors' name in the zone (admin.site.example), pointing at the master alone: edits made on a mirror are lost at its next import"
  }
  param "dns" {
    default     = "dns"
    description = "the node, or the role of the nodes, that serve the zone with BIND; \"\" leaves DNS alone"
  }
  param "dns_ttl" {
    default     = 60
    description = "the records' TTL in seconds: how long resolvers keep sending visitors to a node"
  }
  param "db_name" {
    description = "the site's database (system/user/config/config.php's 'database'); each mirror has one of the same name"
  }
  param "db_user" {
    description = "the database user the site logs in as, on the master and on each mirror"
  }
  param "db_password" {
    sensitive   = true
    description = "that user's password: written to a 0600 option file on each node, never on a command line"
  }
  param "db_host" {
    default     = "localhost"
    description = "where each node's database server listens, as the node sees it"
  }
  param "synced_dirs" {
    # EE's installer (system/ee/installer/controllers/wizard.php): the
    # upload folder images/uploads, avatar_path, photo_path,
    # signature_img_path, pm_path; the forum's attachments
    # (images/forum_attachments in the tree); PATH_TMPL, the templates
    # saved as files; themes/user, which the installer makes writable.
    # Then the seed's assets: templates, css, img, uploads, scripts.
    default = [
      "images/uploads",
      "images/avatars",
      "images/member_photos",
      "images/signature_attachments",
      "images/pm_attachments",
      "images/forum_attachments",
      "system/user/templates",
      "themes/user",
      "assets/templates",
      "assets/css",
      "assets/img",
      "assets/uploads",
      "assets/scripts",
    ]
    description = "folders the mirrors pull from the master, relative to the root (a folder added here wants a local_dir too, so replicate leaves it to the pull)"
  }
  param "sync_schedule" {
    default     = "*/5 * * * *"
    description = "when each mirror pulls the synced folders"
  }
  param "dump_schedule" {
    default     = "*/30 * * * *"
    description = "when the master dumps its database"
  }
  param "import_schedule" {
    default     = "*/5 * * * *"
    description = "when each mirror looks for a new dump to import"
  }
  param "import_spread" {
    default     = 60
    description = "seconds over which the mirrors' scheduled imports are spread: of n mirrors, the i-th (from 0, in the site's order) waits i*spread/n seconds, so they pull and swap in turn rather than all at once; 0 starts them together. Keep it well under the schedule's interval"
  }

  # --- What a site must get right -----------------------------------------------

  assert "mirrors" {
    condition = length(site.replicas) > 0
    message   = "a master alone has no mirror to feed: list the mirrors in nodes"
  }
  assert "mirror_is_master" {
    condition = !contains([for n in site.replicas : n.address], site.primary.address)
    message   = "${join(", ", [for n in site.replicas : n.name if n.address == site.primary.address])} has the master's address, ${site.primary.address}, so it is the master: its imports would overwrite the master's database and lose what was written since each dump"
  }
  assert "db_names" {
    condition = can(regex("^[A-Za-z0-9_]{1,54}$", param.db_name)) && can(regex("^[A-Za-z0-9_]+$", param.db_user))
    message   = "db_name and db_user hold letters, digits and _ only, db_name at most 54 of them (a mirror's import adds _shoal_old to it, and MariaDB's names stop at 64)"
  }
  assert "import_spread" {
    condition = param.import_spread >= 0 && param.import_spread <= 3600 && floor(param.import_spread) == param.import_spread
    message   = "import_spread is whole seconds, 0 to 3600"
  }
  assert "db_password" {
    condition = !can(regex("[\r\n]", param.db_password))
    message   = "db_password may not hold a line break"
  }
  assert "synced_dirs" {
    condition = length([for d in param.synced_dirs : d if !can(regex("^[A-Za-z0-9_][A-Za-z0-9_ .-]*(/[A-Za-z0-9_][A-Za-z0-9_ .-]*)*$", d)) || can(regex("(^|/)[.][.]?(/|$)", d))]) == 0
    message   = "synced_dirs are folders relative to the site root, without . or .. steps"
  }

  # --- Folders ------------------------------------------------------------------
  # Pulled from the master by each mirror (see synced_dirs): each node's
  # own copy, which replicate creates and leaves to the pull.
  local_dir "images/uploads" {
    when = contains(param.synced_dirs, "images/uploads")
  }
  local_dir "images/avatars" {
    when = contains(param.synced_dirs, "images/avatars")
  }
  local_dir "images/member_photos" {
    when = contains(param.synced_dirs, "images/member_photos")
  }
  local_dir "images/signature_attachments" {
    when = contains(param.synced_dirs, "images/signature_attachments")
  }
  local_dir "images/pm_attachments" {
    when = contains(param.synced_dirs, "images/pm_attachments")
  }
  local_dir "images/forum_attachments" {
    when = contains(param.synced_dirs, "images/forum_attachments")
  }
  local_dir "system/user/templates" {
    when = contains(param.synced_dirs, "system/user/templates")
  }
  local_dir "themes/user" {
    when = contains(param.synced_dirs, "themes/user")
  }
  local_dir "assets/templates" {
    when = contains(param.synced_dirs, "assets/templates")
  }
  local_dir "assets/css" {
    when = contains(param.synced_dirs, "assets/css")
  }
  local_dir "assets/img" {
    when = contains(param.synced_dirs, "assets/img")
  }
  local_dir "assets/uploads" {
    when = contains(param.synced_dirs, "assets/uploads")
  }
  local_dir "assets/scripts" {
    when = contains(param.synced_dirs, "assets/scripts")
  }

  # Each node's own: captcha_path (installer) holds the images of the
  # captchas a node served, checked against that node's database; the
  # seed's assets/sql holds the master's dumps and a mirror's pulled ones;
  # system/user/logs (the tree's .gitignore) each node's logs.
  local_dir "images/captchas" {}
  local_dir "assets/sql" {}
  local_dir "system/user/logs" {}

  # PATH_CACHE (system/ee/legacy/libraries/Core.php): each node's cache,
  # emptied on a mirror whose code changed.
  cache_dir "system/user/cache" {}

  # Writable by the site owner: what EE's installer checks (the config
  # folder, PATH_CACHE, PATH_TMPL, themes/user) and the upload folders it
  # configures (images/uploads, avatar_path, captcha_path, photo_path,
  # signature_img_path, pm_path).
  writable "system/user/config" {}
  writable "system/user/cache" {}
  writable "system/user/templates" {}
  writable "themes/user" {}
  writable "images/uploads" {}
  writable "images/avatars" {}
  writable "images/captchas" {}
  writable "images/member_photos" {}
  writable "images/signature_attachments" {}
  writable "images/pm_attachments" {}

  # --- The jobs, and what they read --------------------------------------------

  # The database login of the jobs, for mysqldump and mysql: root reads it.
  file "client_cnf" {
    path    = "/etc/shoal/${site.name}/client.cnf"
    mode    = "0600"
    owner   = "root"
    group   = "root"
    content = <<-CNF
      # Managed by shoal (site ${site.name}): the mirror jobs' database login.
      [client]
      user=${param.db_user}
      password="${replace(replace(param.db_password, "\\", "\\\\"), "\"", "\\\"")}"
      host=${param.db_host}
    CNF
  }

  file "mirror_conf" {
    path    = "/etc/shoal/${site.name}/mirror.conf"
    mode    = "0644"
    owner   = "root"
    group   = "root"
    content = templatefile("expressionengine/mirror.conf", { db_name = param.db_name, synced = param.synced_dirs })
  }

  file "mirror_jobs" {
    path    = "/usr/local/lib/shoal/${site.name}/mirror"
    mode    = "0755"
    owner   = "root"
    group   = "root"
    content = templatefile("expressionengine/mirror.sh", {})
  }

  # Each mirror's key, which the master accepts for rrsync -ro on the
  # site root alone: a mirror can read the master, never change it.
  ssh_trust "pull" {
    on     = "replicas"
    to     = "primary"
    rrsync = site.root
  }

  # A mirror's own database and user, for the imports, and the two
  # databases an import stages the dump in and moves the replaced tables
  # to. The guard is `ready`, which the jobs before those helper databases
  # lacked: on a mirror they set up, the plan runs the old script, whose
  # unknown job fails the guard, so the apply that installs the new jobs
  # runs this one again and grants the user the helper databases.
  exec "database" {
    on      = "replicas"
    command = "/usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf database"
    unless  = "/usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf ready"
    after   = [file.client_cnf, file.mirror_conf, file.mirror_jobs]
  }

  cron "dump" {
    on       = "primary"
    schedule = param.dump_schedule
    command  = "flock -n /run/lock/shoal-${site.name}-dump.lock /usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf dump"
    after    = [file.client_cnf, file.mirror_conf, file.mirror_jobs]
  }

  cron "sync" {
    on       = "replicas"
    schedule = param.sync_schedule
    command  = "flock -n /run/lock/shoal-${site.name}-sync.lock /usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf sync"
    after    = [file.mirror_conf, file.mirror_jobs, ssh_trust.pull]
  }

  # Each mirror waits its own share of import_spread first (under the
  # lock), so the mirrors do not all pull and swap at the same second.
  cron "import" {
    on       = "replicas"
    schedule = param.import_schedule
    command  = "flock -n /run/lock/shoal-${site.name}-import.lock /usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf import ${floor([for i, n in site.replicas : i if n.name == node.name][0] * param.import_spread / length(site.replicas))}"
    after    = [exec.database, ssh_trust.pull]
  }

  # During apply, when a node's jobs are set up or changed, they run once
  # at once, waiting for a run cron started: the master dumps, each
  # mirror pulls the folders and imports that dump.
  exec "dump_now" {
    on        = "primary"
    command   = "flock -w 600 /run/lock/shoal-${site.name}-dump.lock /usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf dump"
    on_change = [file.mirror_conf, file.mirror_jobs]
  }

  exec "sync_now" {
    on        = "replicas"
    command   = "flock -w 600 /run/lock/shoal-${site.name}-sync.lock /usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf sync"
    on_change = [file.mirror_conf, file.mirror_jobs, ssh_trust.pull]
  }

  exec "import_now" {
    on        = "replicas"
    command   = "flock -w 600 /run/lock/shoal-${site.name}-import.lock /usr/local/lib/shoal/${site.name}/mirror /etc/shoal/${site.name}/mirror.conf import"
    on_change = [file.mirror_conf, file.mirror_jobs, ssh_trust.pull]
    after     = [exec.database, exec.dump_now]
  }

  # --- DNS ----------------------------------------------------------------------
  # The seed's round robin: every node for the site's name, the master
  # alone for the editors'. Published once the mirrors have their data.
  dns "site" {
    when    = param.dns != ""
    on      = param.dns
    zone    = param.domain
    ttl     = param.dns_ttl
    mode    = "round_robin"
    records = { "@" = site.nodes, (param.admin_name) = [site.primary] }
    after   = [exec.import_now, exec.sync_now]
  }
}
