nodes "web1" {
  host = "10.0.0.11"
}

node "web2" {
  hostname = "10.0.0.12"
}
