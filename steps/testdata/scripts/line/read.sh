#!/bin/sh
f=/etc/memcached.conf
root=''
max=1048576
if [ -n "$root" ]; then
	if [ -L "$f" ]; then echo link; exit 0; fi
	d=$(dirname -- "$f")
	if [ ! -d "$d" ]; then echo absent; exit 0; fi
	real=$(cd -P -- "$d" && pwd) || exit 1
	top=$(cd -P -- "$root" && pwd) || exit 1
	case "$real/" in
	"$top"/*) ;;
	*) echo escapes; exit 0 ;;
	esac
fi
if [ ! -e "$f" ]; then echo absent; exit 0; fi
if [ ! -f "$f" ]; then echo notfile; exit 0; fi
size=$(stat -L -c %s -- "$f") || exit 1
if [ "$size" -gt "$max" ]; then echo toolarge; exit 0; fi
echo file
cat -- "$f"