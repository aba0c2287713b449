#!/bin/sh
root='/var/www/it'\''s site'
follow=false
find_args='(
(
-path
./sites/*/files
!
-path
./*/*/*/*
)
-o
-path
./media
-o
-path
./wp-config.php
-o
(
-path
./cache/*
!
-path
./cache/.*
!
-path
./cache/index.html
!
-path
./cache/index.html/*
!
-path
./cache/.htaccess
!
-path
./cache/.htaccess/*
)
-o
(
(
-path
./logs/*/*
!
-path
./*/*/*/*
)
!
-path
./logs/*/.*
)
-o
-name
*.shoal-tmp.*
)
-prune
-o'
find_argc=53
if [ "$follow" != true ] && [ -L "$root" ]; then echo "site root $root is a symlink: refusing to work through it" >&2; exit 1; fi
cd -P -- "$root" || exit 1
set --
while IFS= read -r arg; do set -- "$@" "$arg"; done <<FIND
$find_args
FIND
[ "$#" -eq "$find_argc" ] || { echo "a path left out of the tree holds a newline: not reading it" >&2; exit 1; }
find . "$@" -print0 | tar -c -f - --null --no-recursion -T - --numeric-owner --format=gnu --ignore-failed-read
s=$?
[ "$s" -eq 1 ] && s=0
exit "$s"