node "web1" { host = "10.0.0.11" }

site "s" {
  recipe  = "dolphin"
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
}
