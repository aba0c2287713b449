# WordPress as ClonePanel runs it (seeds/wordpress-clonepanel.txt): one
# site on a master and slaves, possibly at different hosting companies.
#
# - Every change happens on the master (the site's primary) and is copied
#   one way to the slaves (its replicas), which are read-only: shoal
#   replicates the code and wp-content on apply (only what differs), and
#   between applies each slave pulls the master's files and database dump
#   from cron, over SSH with keys the master accepts only for rrsync -ro.
#   A file changed on a slave by hand is drift: the next plan shows it and
#   apply (or the next pull) removes it.
# - wp-content/uploads is copied like the rest (uploads = "replicated",
#   as ClonePanel does), or lives on the site's storage (uploads =
#   "shared").
# - Caches stay on each node and are emptied when a slave's files or
#   database changed.
# - wp-config.php is each node's own copy, edited line by line: the
#   WordPress address (WP_SITEURL: admin, login, comment forms) is the
#   master's everywhere, so every change reaches the master; the blog
#   address (WP_HOME) is the host the visitor asked for (the seed's blank
#   blog address), or each node's own URL, and themes, plugins and
#   uploads are linked from it (WP_CONTENT_URL), so each node serves its
#   own; slaves get DISALLOW_FILE_MODS and no WP-Cron, so nothing changes
#   there.
# - The slaves read a copy of the master's database: a dump the master
#   makes and each slave imports (database = "dump", the default), or
#   MariaDB's own replication (database = "replication").
# - With snapshots = true, nodes with the role "backup" keep hard-link
#   snapshots of the master's site and database dump.
# - With dns set, a zone on the dns nodes points the site's name at the
#   master while it passes a health check, else at the first healthy
#   slave (dns_mode = "failover", the default), or at every node
#   (dns_mode = "round_robin").
#
# The jobs are recipes/wordpress/wp-sync.sh, installed on every node.
recipe "wordpress" {
  description = "WordPress on a master and read-only slaves (ClonePanel): files and database copied one way, the admin on the master, hard-link snapshots"

  # What an installed WordPress has: wp-config.php (which the installer
  # writes from wp-config-sample.php), and wp-includes/version.php, which
  # every release carries.
  detect = ["wp-config.php", "wp-includes/version.php", "wp-settings.php", "wp-content"]

  # --- Parameters ---------------------------------------------------------------

  param "master_url" {
    default     = ""
    description = "the master's URL (\"https://blog.example\"): WP_SITEURL on every node, where admin, login and comment forms go; \"\": http:// and the primary's address"
  }
  param "home" {
    default     = "request"
    description = "WP_HOME, the blog address: \"request\" keeps visitors on the host they asked for (the seed's blank blog address), \"node\" gives each node its own URL (node_urls)"
  }
  param "node_urls" {
    default     = {}
    description = "with home = \"node\": each node's URL by node name; a node not listed gets http:// and its address"
  }
  param "content_url" {
    default     = "home"
    description = "WP_CONTENT_URL, where pages link themes, plugins and uploads from: \"home\" the blog address (each node serves its own, a slave still does while the master is down), \"\" WordPress's default (the WordPress address: the master), or a URL (a CDN)"
  }
  param "uploads" {
    default     = "replicated"
    description = "wp-content/uploads: \"replicated\" from the master like the rest (ClonePanel), or \"shared\" on the site's storage"
  }
  param "database" {
    default     = "dump"
    description = "how the slaves get the master's database: \"dump\", imported from the master's dumps (no database port between the nodes, a slave may be down for days), or \"replication\", MariaDB's own"
  }
  param "db_name" {
    default     = "wordpress"
    description = "the site's database (DB_NAME); each slave has one of the same name"
  }
  param "db_user" {
    default     = "wordpress"
    description = "the database user WordPress logs in as (DB_USER), on the master and on each slave"
  }
  param "db_password" {
    sensitive   = true
    description = "that user's password (DB_PASSWORD): written to wp-config.php and to a 0600 option file, never on a command line"
  }
  param "db_host" {
    default     = "localhost"
    description = "DB_HOST: where each node's database server listens, as the node sees it"
  }
  param "sync_schedule" {
    default     = "*/5 * * * *"
    description = "when the master dumps its database and each slave pulls the master's files and dump"
  }
  param "replication_password" {
    default     = ""
    sensitive   = true
    description = "with database = \"replication\": the password of the replication user the slaves log in to the master's MariaDB as"
  }
  param "snapshots" {
    default     = false
    description = "keep hard-link snapshots of the master's site and database dump on the nodes with the role \"backup\""
  }
  param "snapshot_dir" {
    default     = "/srv/snapshots"
    description = "where the backup nodes keep them: <snapshot_dir>/<site>/<node>/<UTC time>"
  }
  param "snapshot_keep" {
    default     = 7
    description = "how many complete snapshots are kept; the newest complete one is never deleted"
  }
  param "snapshot_schedule" {
    default     = "17 3 * * *"
    description = "when a snapshot is taken"
  }
  param "dns" {
    default     = ""
    description = "the node, or the role of the nodes, that serve the site's zone with BIND; \"\" leaves DNS alone"
  }
  param "domain" {
    default     = ""
    description = "the site's name (blog.example): the zone the dns nodes serve, with the name itself and www in it"
  }
  param "dns_mode" {
    default     = "failover"
    description = "\"failover\": the name points at the master while it is healthy, else at the first healthy slave; \"round_robin\": at every node"
  }
  param "dns_ttl" {
    default     = 60
    description = "the records' TTL in seconds: how long resolvers keep sending visitors to a node that failed"
  }
  param "health_url" {
    default     = ""
    description = "failover's health check, requested at each node's address: \"\": http://<domain>/"
  }
  param "health_status" {
    default     = 200
    description = "the HTTP status a healthy node answers health_url with"
  }
  param "health_timeout" {
    default     = "5s"
    description = "how long a node has to answer the health check"
  }

  # --- What a site must get right -------------------------------------------------

  assert "slaves" {
    condition = length(site.replicas) > 0
    message   = "a master alone has no slave to copy to: list the slaves in nodes"
  }
  assert "slave_is_master" {
    condition = !contains([for n in site.replicas : n.address], site.primary.address)
    message   = "${join(", ", [for n in site.replicas : n.name if n.address == site.primary.address])} has the master's address, ${site.primary.address}, so it is the master: copying to it would overwrite the master, and what was written there since would be lost"
  }
  assert "master_role" {
    condition = node.name != site.primary.name || !contains(node.roles, "slave")
    message   = "${node.name} is the site's master (its primary) but has the role \"slave\": a node is one or the other"
  }
  assert "slave_role" {
    condition = node.name == site.primary.name || !contains(node.roles, "master")
    message   = "${node.name} has the role \"master\" but is a slave of the site: make it the primary, or drop the role"
  }
  assert "uploads" {
    condition = contains(["replicated", "shared"], param.uploads)
    message   = "uploads is \"replicated\" or \"shared\", not \"${param.uploads}\""
  }
  assert "database" {
    condition = contains(["dump", "replication"], param.database)
    message   = "database is \"dump\" or \"replication\", not \"${param.database}\""
  }
  assert "domain" {
    condition = param.dns == "" || param.domain != ""
    message   = "dns needs a domain: the site's name, the zone the dns nodes serve"
  }
  assert "dns_mode" {
    condition = contains(["failover", "round_robin"], param.dns_mode)
    message   = "dns_mode is \"failover\" or \"round_robin\", not \"${param.dns_mode}\""
  }
  # The domain's records lead to slaves too (after a failover, or all the
  # time with round robin): a master_url on it would send logins and
  # comments there, and the next import would drop them.
  assert "master_url_off_the_domain" {
    condition = param.dns == "" || !contains([lower(param.domain), "www.${lower(param.domain)}"], lower(try(regex("^https?://([^/:]+)", param.master_url)[0], "")))
    message   = "master_url ${param.master_url} is on ${param.domain}, whose records lead to slaves too (${param.dns_mode == "failover" ? "once the master fails" : "round robin"}): logins and comments would be written on a slave and lost at its next import. Give the master a name of its own (\"https://admin.${param.domain}\")"
  }
  assert "home" {
    condition = contains(["request", "node"], param.home)
    message   = "home is \"request\" or \"node\", not \"${param.home}\""
  }
  assert "urls" {
    condition = length([for u in concat([param.master_url], values(param.node_urls)) : u if u != "" && !can(regex("^https?://[A-Za-z0-9.:\\[\\]-]+(/[A-Za-z0-9._~%/-]*)?$", u))]) == 0
    message   = "master_url and node_urls are http:// or https:// URLs (\"https://blog.example\"), without quotes or spaces"
  }
  assert "db_names" {
    condition = can(regex("^[A-Za-z0-9_]+$", param.db_name)) && can(regex("^[A-Za-z0-9_]+$", param.db_user)) && can(regex("^[A-Za-z0-9_.:/-]+$", param.db_host))
    message   = "db_name and db_user hold letters, digits and _ only; db_host is a host name, an address or a socket"
  }
  assert "db_password" {
    condition = !can(regex("['\\\\\r\n]", param.db_password))
    message   = "db_password may not hold a quote ('), a backslash or a line break: it goes between quotes in wp-config.php"
  }
  assert "replication_password" {
    condition = param.database != "replication" || can(regex("^[^'\\\\\r\n]{12,}$", param.replication_password))
    message   = "database = \"replication\" needs a replication_password of at least 12 characters, without quotes, backslashes or line breaks"
  }

  # --- Folders --------------------------------------------------------------------

  # Uploads on the site's storage, linked on every node (uploads = "shared");
  # otherwise they are copied from the master like the rest of the tree.
  dynamic_dir "wp-content/uploads" {
    when = param.uploads == "shared"
  }
  writable "wp-content/uploads" {}

  # Caches, each node's own, emptied on a slave whose files or database
  # changed: wp-content/cache (WP Super Cache, W3 Total Cache, WP Rocket,
  # WP Fastest Cache, Cache Enabler, Autoptimize, Comet Cache, Breeze),
  # Divi's et-cache, LiteSpeed Cache's optimized CSS and JS, and the
  # folder WordPress unpacks updates in.
  cache_dir "wp-content/cache" {}
  cache_dir "wp-content/et-cache" {}
  cache_dir "wp-content/litespeed" {}
  cache_dir "wp-content/upgrade" {}

  # --- wp-config.php, each node's own -------------------------------------------
  # Edited line by line (the rest of the file stays as the installer and
  # the admin wrote it); new lines go right before wp-settings.php is
  # loaded. A slave gets the master's copy once, then keeps its own.

  line "siteurl" {
    path          = "wp-config.php"
    match         = "^\\s*define\\(\\s*['\"]WP_SITEURL['\"]"
    line          = "define( 'WP_SITEURL', '${param.master_url != "" ? param.master_url : "http://${site.primary.address}"}' );"
    insert_before = "^\\s*require_once.*wp-settings\\.php"
  }
  line "home" {
    path          = "wp-config.php"
    match         = "^\\s*define\\(\\s*['\"]WP_HOME['\"]"
    line          = param.home == "request" ? "define( 'WP_HOME', isset( $_SERVER['HTTP_HOST'] ) ? ( ( ! empty( $_SERVER['HTTPS'] ) && 'off' !== $_SERVER['HTTPS'] ) ? 'https://' : 'http://' ) . $_SERVER['HTTP_HOST'] : '${param.master_url != "" ? param.master_url : "http://${site.primary.address}"}' );" : "define( 'WP_HOME', '${lookup(param.node_urls, node.name, "http://${node.address}")}' );"
    insert_before = "^\\s*require_once.*wp-settings\\.php"
  }
  # WordPress links themes, plugins and uploads from the WordPress
  # address (the master) unless WP_CONTENT_URL says otherwise.
  line "content_url" {
    when          = param.content_url != ""
    path          = "wp-config.php"
    match         = "^\\s*define\\(\\s*['\"]WP_CONTENT_URL['\"]"
    line          = param.content_url == "home" ? "define( 'WP_CONTENT_URL', ( defined( 'WP_HOME' ) ? WP_HOME : '${param.master_url != "" ? param.master_url : "http://${site.primary.address}"}' ) . '/wp-content' );" : "define( 'WP_CONTENT_URL', '${param.content_url}' );"
    insert_before = "^\\s*require_once.*wp-settings\\.php"
  }
  line "db_name" {
    path  = "wp-config.php"
    match = "^\\s*define\\(\\s*['\"]DB_NAME['\"]"
    line  = "define( 'DB_NAME', '${param.db_name}' );"
  }
  line "db_user" {
    path  = "wp-config.php"
    match = "^\\s*define\\(\\s*['\"]DB_USER['\"]"
    line  = "define( 'DB_USER', '${param.db_user}' );"
  }
  line "db_password" {
    path  = "wp-config.php"
    match = "^\\s*define\\(\\s*['\"]DB_PASSWORD['\"]"
    line  = "define( 'DB_PASSWORD', '${param.db_password}' );"
  }
  line "db_host" {
    path  = "wp-config.php"
    match = "^\\s*define\\(\\s*['\"]DB_HOST['\"]"
    line  = "define( 'DB_HOST', '${param.db_host}' );"
  }
  # Slaves are read-only: no plugin, theme or core update or edit from
  # their admin (which the login link sends to the master anyway), and no
  # WP-Cron writing to a database the next import replaces.
  line "file_mods" {
    on            = "replicas"
    path          = "wp-config.php"
    match         = "^\\s*define\\(\\s*['\"]DISALLOW_FILE_MODS['\"]"
    line          = "define( 'DISALLOW_FILE_MODS', true );"
    insert_before = "^\\s*require_once.*wp-settings\\.php"
  }
  line "wp_cron" {
    on            = "replicas"
    path          = "wp-config.php"
    match         = "^\\s*define\\(\\s*['\"]DISABLE_WP_CRON['\"]"
    line          = "define( 'DISABLE_WP_CRON', true );"
    insert_before = "^\\s*require_once.*wp-settings\\.php"
  }

  # --- The jobs, and what they read ---------------------------------------------

  file "wp_sync" {
    path    = "/var/lib/shoal/wordpress/${site.name}/wp-sync"
    mode    = "0700"
    owner   = "root"
    group   = "root"
    content = templatefile("wordpress/wp-sync.sh", {})
  }
  file "wp_sync_conf" {
    path    = "/var/lib/shoal/wordpress/${site.name}/wp-sync.conf"
    mode    = "0600"
    owner   = "root"
    group   = "root"
    content = templatefile("wordpress/wp-sync.conf", {
      state    = "/var/lib/shoal/wordpress/${site.name}"
      db_name  = param.db_name
      database = param.database
      uploads  = param.uploads
      caches  = ["wp-content/cache", "wp-content/et-cache", "wp-content/litespeed", "wp-content/upgrade"]
    })
  }
  # The database login of the jobs, for mysqldump and mysql: root reads it.
  file "mysql_cnf" {
    path    = "/var/lib/shoal/wordpress/${site.name}/mysql.cnf"
    mode    = "0600"
    owner   = "root"
    group   = "root"
    content = <<-CNF
      # Managed by shoal (site ${site.name}): the WordPress jobs' database login.
      [client]
      user=${param.db_user}
      password="${replace(replace(param.db_password, "\\", "\\\\"), "\"", "\\\"")}"
      host=${param.db_host}
    CNF
  }

  # Each slave's keys, which the master accepts for rrsync -ro alone: one
  # reads the site root, the other the folder of the database dump.
  ssh_trust "files" {
    on     = "replicas"
    to     = "primary"
    rrsync = site.root
  }
  ssh_trust "dump" {
    on     = "replicas"
    to     = "primary"
    rrsync = "/var/lib/shoal/wordpress/${site.name}/dump"
  }

  # The master's dump: kept up to date from cron (the slaves import it,
  # snapshots keep it), made once at once when there is none.
  cron "dump" {
    on       = "primary"
    schedule = param.sync_schedule
    command  = "flock -n /run/lock/shoal-wordpress-${site.name}-dump.lock /var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf dump"
    after    = [file.wp_sync, file.wp_sync_conf, file.mysql_cnf]
  }
  exec "first_dump" {
    on      = "primary"
    command = "flock -w 600 /run/lock/shoal-wordpress-${site.name}-dump.lock /var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf dump"
    creates = "/var/lib/shoal/wordpress/${site.name}/dumped-${param.database}"
    after   = [file.wp_sync, file.wp_sync_conf, file.mysql_cnf, service.mariadb]
  }

  # A slave's own database and user.
  exec "database" {
    on      = "replicas"
    command = "/var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf database"
    unless  = "/var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf reaches"
    after   = [file.wp_sync, file.wp_sync_conf, file.mysql_cnf]
  }

  # Each slave pulls the master's files and dump from cron, and once at
  # once when it has never synced.
  cron "sync" {
    on       = "replicas"
    schedule = param.sync_schedule
    command  = "flock -n /run/lock/shoal-wordpress-${site.name}-sync.lock /var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf sync"
    after    = [exec.database, ssh_trust.files, ssh_trust.dump]
  }
  exec "first_sync" {
    on      = "replicas"
    command = "flock -w 600 /run/lock/shoal-wordpress-${site.name}-sync.lock /var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf sync"
    creates = "/var/lib/shoal/wordpress/${site.name}/synced"
    after   = [exec.database, exec.first_dump, ssh_trust.files, ssh_trust.dump, line.file_mods, line.wp_cron]
  }

  # --- MariaDB replication (database = "replication") ---------------------------
  # The master writes a binary log and listens on its address for its
  # slaves, each a read-only replica (server ids 1, 2, ... in the order of
  # the site's nodes). The replication user may log in only from the
  # slaves' addresses; a slave starts from the master's newest dump and
  # the position it records. MariaDB restarts (after its configuration
  # test) when its configuration changes.
  file "replication_cnf" {
    when    = param.database == "replication"
    path    = "/etc/mysql/mariadb.conf.d/61-shoal-${site.name}.cnf"
    mode    = "0644"
    owner   = "root"
    group   = "root"
    content = <<-CNF
      # Managed by shoal (site ${site.name}): MariaDB's replication of ${param.db_name}.
      [mariadbd]
      %{if node.name == site.primary.name~}
      server_id = 1
      log_bin = mysql-bin
      binlog_format = MIXED
      bind_address = ${site.primary.address}
      %{else~}
      server_id = ${[for i, n in site.nodes : i + 1 if n.name == node.name][0]}
      relay_log = relay-bin
      replicate_do_db = ${param.db_name}
      read_only = 1
      %{endif~}
    CNF
  }
  service "mariadb" {
    when      = param.database == "replication"
    reload    = "restart"
    check     = "mariadbd --help --verbose > /dev/null"
    on_change = [file.replication_cnf]
  }
  # The replication login of the slaves, a 0600 option file only root reads.
  file "replication_login" {
    when    = param.database == "replication"
    on      = "replicas"
    path    = "/var/lib/shoal/wordpress/${site.name}/replication.cnf"
    mode    = "0600"
    owner   = "root"
    group   = "root"
    content = "# Managed by shoal (site ${site.name}): the slaves' replication login.\n[client]\nuser=shoal_repl\npassword=\"${param.replication_password}\"\nhost=${site.primary.address}\n"
  }
  exec "replication_user" {
    when    = param.database == "replication"
    on      = "primary"
    command = "mysql"
    stdin   = join("", [for n in site.replicas : "CREATE USER IF NOT EXISTS 'shoal_repl'@'${n.address}' IDENTIFIED BY '${param.replication_password}';\nALTER USER 'shoal_repl'@'${n.address}' IDENTIFIED BY '${param.replication_password}';\nGRANT REPLICATION SLAVE ON *.* TO 'shoal_repl'@'${n.address}';\n"])
    unless  = "test \"$(mysql -N -e \"SELECT COUNT(*) FROM mysql.user WHERE user = 'shoal_repl'\")\" = ${length(site.replicas)}"
    after   = [service.mariadb]
  }
  exec "replicate" {
    when    = param.database == "replication"
    on      = "replicas"
    command = "flock -w 600 /run/lock/shoal-wordpress-${site.name}-sync.lock /var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf replicate"
    unless  = "/var/lib/shoal/wordpress/${site.name}/wp-sync /var/lib/shoal/wordpress/${site.name}/wp-sync.conf replicating"
    after   = [service.mariadb, file.replication_login, exec.replication_user, exec.first_dump, exec.database, ssh_trust.dump]
  }

  # --- Snapshots ------------------------------------------------------------------
  # On each node with the role "backup": the master's site (but caches)
  # and its database dump, pulled with keys the master accepts for
  # rrsync -ro alone.
  ssh_trust "snapshot_site" {
    when   = param.snapshots
    on     = "backup"
    to     = "primary"
    rrsync = site.root
  }
  ssh_trust "snapshot_dump" {
    when   = param.snapshots
    on     = "backup"
    to     = "primary"
    rrsync = "/var/lib/shoal/wordpress/${site.name}/dump"
  }
  snapshot "master" {
    when     = param.snapshots
    of       = "primary"
    dir      = "${param.snapshot_dir}/${site.name}"
    keep     = param.snapshot_keep
    schedule = param.snapshot_schedule
    sources = {
      site = {
        path    = site.root
        key     = "/root/.ssh/shoal-${site.name}-snapshot_site"
        exclude = ["/wp-content/cache/*", "/wp-content/et-cache/*", "/wp-content/litespeed/*", "/wp-content/upgrade/*", "*.shoal-tmp.*"]
      }
      database = {
        path = "/var/lib/shoal/wordpress/${site.name}/dump"
        key  = "/root/.ssh/shoal-${site.name}-snapshot_dump"
      }
    }
    after = [ssh_trust.snapshot_site, ssh_trust.snapshot_dump, exec.first_dump]
  }

  # --- DNS ------------------------------------------------------------------------
  # The site's name, and www, on the dns nodes: failover points them at the
  # master, or, when it fails the health check the dns nodes make at plan
  # time, at the first healthy slave, in the order of the site's nodes
  # (and back at the master once it is healthy again); round_robin at
  # every node. Published once the slaves have their copy.
  dns "site" {
    when           = param.dns != ""
    on             = param.dns
    zone           = param.domain
    ttl            = param.dns_ttl
    mode           = param.dns_mode
    records        = { "@" = concat([site.primary], site.replicas), www = concat([site.primary], site.replicas) }
    health_url     = param.dns_mode == "failover" ? (param.health_url != "" ? param.health_url : "http://${param.domain}/") : null
    health_status  = param.dns_mode == "failover" ? param.health_status : null
    health_timeout = param.dns_mode == "failover" ? param.health_timeout : null
    after          = [exec.first_sync, exec.replicate]
  }
}
