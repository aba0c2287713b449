variable "db_password" {
  sensitive = true
}

node "web1" {
  host = var.db_password
}
