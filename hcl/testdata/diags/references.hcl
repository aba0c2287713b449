node "web1" { host = "10.0.0.11" }
node "web2" { host = "10.0.0.12" }

site "unknowns" {
  recipe  = "wordpress-ish"
  root    = "/var/www/a"
  primary = "web9"
  nodes   = ["web1", "web8"]
  storage = "tank"
}

site "primary_elsewhere" {
  root    = "/var/www/b"
  primary = "web2"
  nodes   = ["web1"]
}

site "bad name!" {
  root    = "/var/www/c"
  primary = "web1"
  nodes   = ["web1"]
}

site "typos" {
  recipe  = "dolphn"
  root    = "/var/www/d"
  primary = "web1"
  nodes   = ["web1", "wbe2"]
}
