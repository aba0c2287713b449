#!/bin/sh
site=blog
block=snapshot.nightly
dir=/srv/snapshots/blog
node=master
host=10.0.0.11
user=root
keep=7
sources='site	/root/.ssh/shoal-blog-snap_site	/var/www/blog
database	/root/.ssh/shoal-blog-snap_db	/var/lib/shoal/blog/dump'
excludes='site	wp-content/cache/*
site	it'\''s *.tmp'
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
umask 077
quiet=
if [ "${1:-}" = --cron ]; then quiet=yes; fi
mkdir -p -- "$nd"
exec 9>>"$nd/.lock"
if ! flock -w 3600 9; then
	echo "another snapshot of $node has held $nd/.lock for an hour; giving up" >&2
	exit 1
fi
newest=$(done_snapshots | tail -n 1)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
while [ -e "$nd/$stamp" ] || [ -e "$nd/$stamp.partial" ]; do
	sleep 1
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
done
work=$nd/$stamp.partial
# an interrupted run's folder is taken up: rsync then sends what it lacks
last=
for s in "$nd"/$pat.partial; do
	if [ -d "$s" ] && [ ! -L "$s" ]; then last=$s; fi
done
if [ -n "$last" ]; then mv -- "$last" "$work"; fi
for s in "$nd"/$pat.partial; do
	if [ "$s" != "$work" ] && [ -d "$s" ] && [ ! -L "$s" ]; then rm -rf -- "$s"; fi
done
mkdir -p -- "$work"
tab=$(printf '\t')
while IFS="$tab" read -r name key from; do
	[ -n "$name" ] || continue
	set --
	while IFS="$tab" read -r xname pattern; do
		if [ "$xname" = "$name" ]; then set -- "$@" "--exclude=$pattern"; fi
	done <<EOF
$excludes
EOF
	if [ -n "$newest" ] && [ -d "$nd/$newest/$name" ]; then
		set -- "$@" "--link-dest=$nd/$newest/$name"
	fi
	s=0
	rsync -a --numeric-ids --delete --delete-excluded "$@" \
		-e "ssh -i $key -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=30 -o ServerAliveInterval=30" \
		"$user@$host:./" "$work/$name/" </dev/null || s=$?
	case $s in
	0 | 24) ;; # 24: files that vanished while being read, as on any live site
	*)
		echo "snapshot of $node: pulling $name ($from) from $host failed (rsync exit $s); $work is kept for the next run" >&2
		exit 1
		;;
	esac
done <<EOF
$sources
EOF
{
	printf 'site=%s\nblock=%s\nnode=%s\nhost=%s\nfinished=%s\n' "$site" "$block" "$node" "$host" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	while IFS="$tab" read -r name key from; do
		printf 'source=%s %s\n' "$name" "$from"
	done <<EOF
$sources
EOF
} > "$work/.shoal-snapshot"
sync -f -- "$work"
mv -- "$work" "$nd/$stamp"
drop=$(( $(done_snapshots | wc -l) - keep ))
if [ "$drop" -gt 0 ]; then
	done_snapshots | head -n "$drop" | while IFS= read -r old; do
		if [ "$old" != "$stamp" ]; then rm -rf -- "${nd:?}/$old"; fi
	done
fi
if [ -z "$quiet" ]; then
	files=$(find "$nd/$stamp" -mindepth 2 -type f | wc -l)
	fresh=$(find "$nd/$stamp" -mindepth 2 -type f -links 1 | wc -l)
	if [ -n "$newest" ]; then
		echo "snapshot $stamp of $node: $files files, $fresh new or changed, the others hard links into $newest"
	else
		echo "snapshot $stamp of $node: $files files (the first)"
	fi
fi
