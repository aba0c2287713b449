node "files" {
  host  = "10.0.0.5"
  roles = ["storage", "all"]
}
node "web1" { host = "10.0.0.11" }

# an address other nodes could not use: it is written into their files
node "web2" {
  host    = "10.0.0.12"
  address = "10.0.0.12, 10.0.0.13"
}

storage "nas" {
  type   = "nfs"
  server = "files"
  export = "/srv/nas"
  mount  = "/srv/nas/share"
}

# files both exports /srv/nas and, as a web node, mounts the storage inside
# it (at the export's own path it would serve it in place: the Pack mode)
site "clash" {
  root    = "/var/www/clash"
  primary = "web1"
  nodes   = ["web1", "files"]
  storage = "nas"
}

# a root inside the mount point would replicate the storage itself
site "inside" {
  root    = "/srv/nas/share/site"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}

# two sites at one root on one node
site "twin" {
  root    = "/var/www/clash"
  primary = "web1"
  nodes   = ["web1"]
}
