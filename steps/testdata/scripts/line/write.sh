#!/bin/sh
f=/etc/memcached.conf
content='-l 10.0.0.11
'
was=86ae8136ba76e673a3fe8dbe240b7f0678d76295939215198185c29666450f8f
mode=''
owner=''
root=''
bak=/etc/memcached.conf.shoal.bak
stamp=''
wrote=8f7a0baf8f6071cef2429d6d804f49c3101e49ddd2ed571c3443e8027019f6e0
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
