recipe "a" { extends = "b" }
recipe "b" { extends = "a" }
recipe "self" { extends = "self" }
recipe "orphan" { extends = "missing" }
recipe "fine" { extends = "dolphin" }
