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
xargs -0 -r sh -c '
top=$PWD
for p do
  case $p in */*) d=${p%/*} ;; *) d=. ;; esac
  [ -d "$d" ] || continue
  cd -P -- "$d" || exit 3
  if [ "$d" = . ]; then want=$top; else want=$top/$d; fi
  if [ "$PWD" != "$want" ]; then
    echo "refusing to delete $p: reached through a symlink" >&2; exit 3
  fi
  cd -- "$top"
  if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir -- "$p"
  elif [ -e "$p" ] || [ -L "$p" ]; then rm -f -- "$p"
  fi
done' shoal-delete