node "files" { host = "10.0.0.5" }

storage "no_server" {
  type  = "nfs"
  mount = "/mnt/a"
}

storage "ghost_server" {
  type   = "sshfs"
  server = "filer"
  export = "/srv/b"
  mount  = "/mnt/b"
}

storage "relative_mount" {
  type   = "cifs"
  server = "files"
  export = "/srv/c"
  mount  = "mnt/c"
}

storage "weird" {
  type  = "s3"
  mount = "/mnt/d"
}

storage "mounted_with_server" {
  type   = "mounted"
  server = "files"
  mount  = "/mnt/e"
}

storage "root_mount" {
  type   = "nfs"
  server = "files"
  export = "/"
  mount  = "/"
}

storage "typo_server" {
  type   = "sshfs"
  server = "flies"
  export = "/srv/f"
  mount  = "/mnt/f"
  allow  = ["10.0.0.0/24"]
}

storage "mount_over_hides" {
  type       = "sshfs"
  server     = "files"
  export     = "/srv/f"
  mount      = "/mnt/f"
  mount_over = "hide"
}
