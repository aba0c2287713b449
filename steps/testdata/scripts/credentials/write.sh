#!/bin/sh
f=/etc/shoal/nas.key
set -e
umask 077
d=$(dirname -- "$f")
mkdir -p -- "$d"
if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then echo "$f is not a plain file: refusing to write a secret through it" >&2; exit 3; fi
tmp=$(mktemp -- "$f.shoal-tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
chown 0:0 -- "$tmp"
chmod 0600 -- "$tmp"
sync -- "$tmp"
mv -f -- "$tmp" "$f"
sync -- "$d"
trap - EXIT
