node "web1" { host = "10.0.0.11" }

site "slash" {
  root    = "/"
  primary = "web1"
  nodes   = ["web1"]
}

site "etc" {
  root    = "/etc"
  primary = "web1"
  nodes   = ["web1"]
}

site "relative" {
  root    = "var/www/x"
  primary = "web1"
  nodes   = ["web1"]
}

site "sneaky" {
  root    = "/var/www/../../usr"
  primary = "web1"
  nodes   = ["web1"]
}
