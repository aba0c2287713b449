node "web1" { host = "10.0.0.11" }

storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}

recipe "nesting" {
  dynamic_dir "media" {}
  dynamic_dir "media/images" {}
}

recipe "caches" {
  dynamic_dir "uploads" {}
  cache_dir "uploads/thumbs" {}
  cache_dir "cache" {}
  dynamic_dir "cache/user" {}
}

recipe "sharing" {
  dynamic_dir "a/files" { shared = "files" }
  dynamic_dir "b/files" { shared = "files/b" }
}

site "s" {
  recipe  = "dolphin"
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"

  # inside the recipe's "media"
  dynamic_dir "media/extra" {}
  # a cache inside the recipe's forum attachments
  cache_dir "modules/boonex/forum/data/attachments/tmp" {}
}
