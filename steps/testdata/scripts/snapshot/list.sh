#!/bin/sh
top=/srv/snapshots/blog
d=/srv/snapshots/blog/master
if [ -L "$top" ] || [ -L "$d" ]; then echo link; exit 0; fi
if [ ! -e "$d" ]; then echo absent; exit 0; fi
if [ ! -d "$d" ]; then echo notdir; exit 0; fi
echo dir
cd -- "$d" || exit 1
for n in *; do
	if [ -d "$n" ] && [ ! -L "$n" ]; then printf '%s\n' "$n"; fi
done