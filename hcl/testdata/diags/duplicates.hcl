variable "x" { default = "1" }
variable "x" { default = "2" }

node "web1" { host = "10.0.0.11" }
node "web1" { host = "10.0.0.12" }

storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}
storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas2"
}

recipe "app" {}
recipe "app" {}

# the built-in recipe's name is taken too
recipe "dolphin" {}

site "s" {
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
}
site "s" {
  root    = "/var/www/t"
  primary = "web1"
  nodes   = ["web1", "web1"]
}
