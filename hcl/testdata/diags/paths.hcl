node "web1" { host = "10.0.0.11" }

storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}

site "s" {
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"

  dynamic_dir "../etc" {}
  dynamic_dir "/etc" {}
  dynamic_dir "a/../../b" {}
  dynamic_dir "" {}
  dynamic_dir "." {}
  dynamic_dir "up\nload" {}
  dynamic_dir "nul\u0000byte" {}
  dynamic_dir "ok/files" { shared = "../../outside" }
  cache_dir "/var/cache" {}
  writable "../../tmp" {}
  writable "logs" { mode = "rwx" }
}
