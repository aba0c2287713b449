# A site that leaves out a param the recipe needs: one error, at the
# site's params, not one more at every use of the param in the recipe.
node "web1" {}

recipe "acme" {
  param "db_host" {
    description = "the database server"
  }
  param "db_name" {
    default = "acme"
  }
  file "db" {
    path    = "config/db.php"
    content = "<?php return ['host' => '${param.db_host}', 'name' => '${param.db_name}'];\n"
  }
  cron "ping" {
    schedule = "@hourly"
    command  = "ping -c1 ${param.db_host}"
  }
}

site "shop" {
  recipe  = "acme"
  root    = "/var/www/shop"
  primary = "web1"
  nodes   = ["web1"]
  params = {
    db_name = "shop"
  }
}
