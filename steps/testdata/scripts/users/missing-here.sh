#!/bin/sh
u=aegir
uid=1000
g=aegir
gid=1000
sg=www-data
sgid=33
home=/var/aegir
set -e
if [ -n "$sg" ] && ! getent group "$sg" >/dev/null; then
	if e=$(getent group "$sgid"); then echo "gid $sgid is taken by group ${e%%:*}" >&2; exit 1; fi
	groupadd -g "$sgid" "$sg"
fi
if e=$(getent passwd "$u"); then
	[ "$(echo "$e" | cut -d: -f3,4)" = "$uid:$gid" ] || { echo "user $u exists as $(echo "$e" | cut -d: -f3,4), not $uid:$gid" >&2; exit 1; }
	exit 0
fi
if e=$(getent group "$g"); then
	[ "$(echo "$e" | cut -d: -f3)" = "$gid" ] || { echo "group $g exists with gid $(echo "$e" | cut -d: -f3), not $gid" >&2; exit 1; }
else
	if e=$(getent group "$gid"); then echo "gid $gid is taken by group ${e%%:*}" >&2; exit 1; fi
	groupadd -g "$gid" "$g"
fi
if e=$(getent passwd "$uid"); then echo "uid $uid is taken by user ${e%%:*}" >&2; exit 1; fi
if [ -n "$home" ]; then
	useradd -u "$uid" -g "$gid" -M -r -d "$home" -s /usr/sbin/nologin "$u"
else
	useradd -u "$uid" -g "$gid" -M -r -s /usr/sbin/nologin "$u"
fi
