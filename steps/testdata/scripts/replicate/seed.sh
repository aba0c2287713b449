#!/bin/sh
root='/var/www/it'\''s site'
real='/srv/www/it'\''s site'
node=web2
follow=false
paths=wp-config.php
set -e
if [ "$follow" != true ] && [ -L "$root" ]; then
	echo "site root $root on $node is a symlink: refusing to work through it" >&2
	exit 1
fi
mkdir -p -- "$root"
cd -P -- "$root"
if [ -n "$real" ] && [ "$PWD" != "$real" ]; then
	echo "site root $root now leads to $PWD, not to $real as planned: plan again" >&2
	exit 1
fi
top=$PWD
set -f
IFS='
'
set --
for p in $paths; do
	case $p in */*) d=${p%/*} ;; *) d=. ;; esac
	[ -d "$d" ] || { echo "$d does not exist: not copying $p" >&2; exit 3; }
	real=$(cd -P -- "$d" && pwd)
	if [ "$d" = . ]; then want=$top; else want=$top/$d; fi
	[ "$real" = "$want" ] || { echo "$d is reached through a symlink: not copying $p" >&2; exit 3; }
	set -- "$@" "./$p"
done
unset IFS
set +f
tar -x -f - --skip-old-files --numeric-owner --same-owner --same-permissions -- "$@"