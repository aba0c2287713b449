node "web1" {
  host = "10.0.0.11
}
