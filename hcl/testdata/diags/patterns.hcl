node "web1" { host = "10.0.0.11" }

storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}

recipe "bad_patterns" {
  dynamic_dir "sites/**/files" {}
  dynamic_dir "/sites/*/files" {}
  dynamic_dir "sites/*/../private" {}
  dynamic_dir "sites/[a-z/files" {}
}

recipe "pattern_claims" {
  dynamic_dir "sites/*/files" {}
  # one of its matches, a cache in one, a file written in one
  dynamic_dir "sites/default/files" {}
  cache_dir "sites/*/files/css" {}
  # patterns whose matches overlap
  dynamic_dir "sites/example.*/files/styles" {}
  # no overlap: another folder of each site, and a differently named site
  dynamic_dir "sites/*/private" {}
  cache_dir "sites/*.test/tmp" {}
}

recipe "captures" {
  dynamic_dir "platforms/*/sites/*/files" { shared = "$2/files" }
  dynamic_dir "platforms/*/sites/*/private" { shared = "$3/private" }
  dynamic_dir "platforms/*/sites/*/public" { shared = "public" }
  dynamic_dir "media" { shared = "$1" }
  dynamic_dir "sites/*/uploads" { shared = "up/*" }
  # each site's files and, in another place, a copy of the same places
  dynamic_dir "a/*/files" { shared = "$1/files" }
}

site "s" {
  recipe  = "pattern_claims"
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}
