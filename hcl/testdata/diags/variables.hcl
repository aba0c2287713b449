variable "web_host" {
  default = "10.0.0.11"
}

variable "web_host" {
  default = "10.0.0.12"
}

variable "bad name" {}

node "web1" {
  host = var.web_hostname
}

node "web2" {
  host = "${var.web_host}"
  port = "twenty-two"
}

node "web3" {
  sudo = "maybe"
  roles = "web"
}
