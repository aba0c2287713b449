#!/bin/sh
f=/etc/memcached.conf
content='-l 10.0.0.11
-p 11211
'
was=996a4f48a176954f8af139020088af10bd436e2dc000edd71e28490c946933fe
mode=0644
owner=root:root
root=''
bak=/etc/memcached.conf.shoal.bak
stamp=/var/lib/shoal/changed/s/file.memcached
wrote=8dde61b7eaf8be5df6602e7e105ee3c8d8486d3f741619bc8f8ae7e16b188ca3
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
