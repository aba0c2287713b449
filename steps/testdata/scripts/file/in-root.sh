#!/bin/sh
f='/var/www/it'\''s site/wp-config.php'
content='<?php define('\''X'\'', '\''$(id)'\'');
'
was=cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4
mode=0640
owner=www-data:www-data
root='/var/www/it'\''s site'
bak='/var/lib/shoal/backup/var/www/it'\''s site/wp-config.php.shoal.bak'
stamp=''
wrote=ebb67866bc6c30a512226a693cd0849680c29b36ddb9e7ac570553e8a3ba5d26
set -e
if [ -n "$root" ]; then
	[ ! -L "$f" ] || { echo "$f is a symlink: not writing through it" >&2; exit 3; }
	d=$(dirname -- "$f")
	[ -d "$d" ] || { echo "$d does not exist" >&2; exit 3; }
	real=$(cd -P -- "$d" && pwd)
	top=$(cd -P -- "$root" && pwd)
	case "$real/" in
	"$top"/*) ;;
	*) echo "$d leads out of $root through a symlink: not writing there" >&2; exit 3 ;;
	esac
else
	if [ -L "$f" ]; then f=$(readlink -f -- "$f"); fi
	d=$(dirname -- "$f")
	mkdir -p -- "$d"
fi
if [ -e "$f" ]; then
	[ -f "$f" ] || { echo "$f is not a regular file" >&2; exit 3; }
	now=$(sha256sum < "$f")
	now=${now%% *}
else
	now=
fi
if [ "$now" != "$was" ]; then
	echo "$f changed since the plan was made; run shoal plan again" >&2
	exit 3
fi
tmp=$(mktemp -- "$f.shoal-tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
printf '%s' "$content" > "$tmp"
if [ -e "$f" ]; then
	chown --reference="$f" -- "$tmp"
	chmod --reference="$f" -- "$tmp"
	mkdir -p -- "$(dirname -- "$bak")"
	cp -p -- "$f" "$bak.tmp"
	sync -- "$bak.tmp"
	mv -f -- "$bak.tmp" "$bak"
else
	chmod 0644 -- "$tmp"
fi
if [ -n "$mode" ]; then chmod "$mode" -- "$tmp"; fi
if [ -n "$owner" ]; then chown "$owner" -- "$tmp"; fi
sync -- "$tmp"
if [ -n "$stamp" ]; then
	mkdir -p -- "$(dirname -- "$stamp")"
	printf '%s\n' "$wrote" > "$stamp.tmp"
	mv -f -- "$stamp.tmp" "$stamp"
fi
mv -f -- "$tmp" "$f"
sync -- "$d"
trap - EXIT
