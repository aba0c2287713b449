# The lab's nodes and storage, as fixtures/dolphin has them, and a recipe
# with one dynamic folder: each bad-input case adds a site of its own.

node "files" {
  host  = "files"
  roles = ["storage"]
}

node "web1" {
  host  = "web1"
  roles = ["web"]
}

node "web2" {
  host  = "web2"
  roles = ["web"]
}

node "web3" {
  host  = "web3"
  roles = ["web"]
}

storage "nas" {
  type    = "sshfs"
  server  = "files"
  address = "files"
  export  = "/srv/nas"
  mount   = "/mnt/nas"
}

recipe "uploads" {
  description = "a site whose only user data is media/"
  dynamic_dir "media" {}
}
