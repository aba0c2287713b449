node "web1" { host = "10.0.0.11" }

site "s" {
  root        = "/var/www/s"
  primary     = "web1"
  nodes       = ["web1"]
  on_conflict = "overwrite"
}
