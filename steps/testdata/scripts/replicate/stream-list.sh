#!/bin/sh
root='/var/www/it'\''s site'
follow=false
if [ "$follow" != true ] && [ -L "$root" ]; then echo "site root $root is a symlink: refusing to work through it" >&2; exit 1; fi
cd -P -- "$root" || exit 1
tar -c -f - --null --no-recursion -T - --numeric-owner --format=gnu --ignore-failed-read
s=$?
[ "$s" -eq 1 ] && s=0
exit "$s"