#!/bin/sh
mp=/var/aegir/platforms
aside=/var/aegir/platforms.shoal-local
move_aside=no
fstab=''
set -e
mkdir -p -- "$mp"
if mountpoint -q -- "$mp"; then exit 0; fi
if [ -n "$(find "$mp" -mindepth 1 -maxdepth 1 -print -quit)" ]; then
	if [ "$move_aside" != yes ]; then
		echo "$mp holds local files: mounting would hide them" >&2; exit 3
	fi
	if [ -L "$mp" ] || [ -e "$aside" ] || [ -L "$aside" ]; then
		echo "$mp is a symlink, or $aside exists already: not moving anything" >&2; exit 3
	fi
	mv -T -- "$mp" "$aside"
	mkdir -- "$mp"
	chown --reference="$aside" -- "$mp"
	chmod --reference="$aside" -- "$mp"
	echo "moved $mp's own files to $aside"
fi
if [ -n "$fstab" ]; then mount -T "$fstab" -- "$mp"; else mount -- "$mp"; fi
