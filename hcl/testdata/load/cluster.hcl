variable "web1_host" {
  default = "10.0.0.11"
}

variable "owner" {
  default = "nobody"
}

variable "db_password" {
  sensitive = true
}

node "web1" {
  host  = var.web1_host
  user  = "deploy"
  port  = 2222
  sudo  = true
  roles = ["web"]
}

node "web2" {}

node "files" {
  host          = "10.0.0.5"
  address       = "192.168.1.5"
  jump          = "bastion"
  identity_file = "~/.ssh/files"
}

storage "nas" {
  type    = "nfs"
  server  = "files"
  export  = "/srv/nas/"
  mount   = "/mnt/nas"
  options = "vers=4"
  allow   = ["10.0.0.0/24"]
}

recipe "gallery" {
  extends     = "base"
  description = "base plus a gallery"

  dynamic_dir "uploads" { shared = "up" }
  dynamic_dir "gallery/files" {}
  cache_dir "gallery/cache" {}
}

recipe "base" {
  description = "a small app"

  dynamic_dir "uploads" {}
  cache_dir "cache" {}
  writable "logs" { mode = "0775" }
}

site "shop" {
  recipe      = "gallery"
  root        = "/var/www/${site.name}/"
  primary     = "web1"
  nodes       = ["web1", "web2"]
  storage     = "nas"
  owner       = var.owner
  group       = "www-data"
  on_conflict = "merge"

  dynamic_dir "media" { shared = "${site.name}-media" }
  writable "./tmp" {}
}
