#!/bin/sh
dir=/srv/snapshots/blog
node=master
drop='20250101T031700Z
20241231T031700Z.partial'
set -eu
export LC_ALL=C
pat='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'
nd=$dir/$node
for p in "$dir" "$nd"; do
	if [ -L "$p" ]; then
		echo "$p is a symlink: shoal keeps no snapshots through a link" >&2
		exit 3
	fi
done
# done_snapshots: the complete snapshots of the node, oldest first
done_snapshots() {
	for s in "$nd"/$pat; do
		if [ -d "$s" ] && [ ! -L "$s" ]; then printf '%s\n' "${s##*/}"; fi
	done
}
[ -d "$nd" ] || exit 0
exec 9>>"$nd/.lock"
if ! flock -w 600 9; then
	echo "a snapshot of $node is running (it holds $nd/.lock): run shoal apply again once it is done" >&2
	exit 1
fi
newest=$(done_snapshots | tail -n 1)
printf '%s\n' "$drop" | while IFS= read -r old; do
	[ -n "$old" ] || continue
	if [ "$old" = "$newest" ]; then
		echo "kept $old: it is the newest complete snapshot of $node"
		continue
	fi
	if [ -d "$nd/$old" ] && [ ! -L "$nd/$old" ]; then
		rm -rf -- "${nd:?}/$old"
		echo "deleted $old"
	fi
done
