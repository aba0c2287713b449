#!/bin/sh
u=aegir
uid=1000
g=aegir
gid=1000
sg=www-data
sgid=33
home=''
old_uid=1001
old_gid=1001
old_sgid=33
places='/var/aegir
/var/aegir/config'
set -e
now=$(getent passwd "$u" | cut -d: -f3,4)
[ "$now" = "$old_uid:$old_gid" ] || { echo "$u is $now on this node now, not $old_uid:$old_gid as planned" >&2; exit 3; }
if [ -n "$sg" ] && ! getent group "$sg" >/dev/null; then
	if e=$(getent group "$sgid"); then echo "gid $sgid is taken by group ${e%%:*}" >&2; exit 3; fi
	groupadd -g "$sgid" "$sg"
	old_sgid=$sgid
fi
if [ -n "$sg" ]; then
	now=$(getent group "$sg" | cut -d: -f3)
	[ "$now" = "$old_sgid" ] || { echo "group $sg is gid $now on this node now, not $old_sgid as planned" >&2; exit 3; }
fi
if [ "$uid" != "$old_uid" ] && e=$(getent passwd "$uid"); then echo "uid $uid is taken by user ${e%%:*}" >&2; exit 3; fi
if [ "$gid" != "$old_gid" ] && e=$(getent group "$gid"); then echo "gid $gid is taken by group ${e%%:*}" >&2; exit 3; fi
if [ -n "$sg" ] && [ "$sgid" != "$old_sgid" ] && e=$(getent group "$sgid"); then echo "gid $sgid is taken by group ${e%%:*}" >&2; exit 3; fi
export u uid old_uid g gid old_gid sg sgid old_sgid places
unshare --mount --propagation private sh -s <<'RENUMBER'
set -e
# mount points below a place, deepest first (mountinfo escapes blanks as \040)
below() {
	awk '{ print $5 }' /proc/self/mountinfo | while IFS= read -r raw; do
		m=$(printf '%b' "$(printf '%s' "$raw" | sed 's/\\\([0-7][0-7][0-7]\)/\\0\1/g')")
		printf '%s\n' "$places" | while IFS= read -r p; do
			case $m in "$p"/*) printf '%s\n' "$m" ;; esac
		done
	done | sort -r -u
}
below | while IFS= read -r m; do umount -l -- "$m" 2>/dev/null || true; done
if [ -n "$(below)" ]; then echo "could not set aside what is mounted below $places" >&2; exit 1; fi
if [ "$uid" != "$old_uid" ]; then usermod -u "$uid" "$u"; fi
if [ "$gid" != "$old_gid" ]; then groupmod -g "$gid" "$g"; fi
if [ -n "$sg" ] && [ "$sgid" != "$old_sgid" ]; then groupmod -g "$sgid" "$sg"; fi
printf '%s\n' "$places" | while IFS= read -r p; do
	[ -d "$p" ] || continue
	if [ "$uid" != "$old_uid" ]; then find "$p" -xdev -uid "$old_uid" -exec chown -h "$uid" {} +; fi
	if [ "$gid" != "$old_gid" ]; then find "$p" -xdev -gid "$old_gid" -exec chgrp -h "$gid" {} +; fi
	if [ -n "$sg" ] && [ "$sgid" != "$old_sgid" ]; then find "$p" -xdev -gid "$old_sgid" -exec chgrp -h "$sgid" {} +; fi
done
echo "$u is uid $uid gid $gid now; files re-owned in: $(printf '%s\n' "$places" | tr '\n' ' ')"
RENUMBER
