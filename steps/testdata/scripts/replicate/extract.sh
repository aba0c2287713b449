#!/bin/sh
root='/var/www/it'\''s site'
real='/srv/www/it'\''s site'
node=web2
follow=false
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
tar -x -f - --numeric-owner --same-owner --same-permissions