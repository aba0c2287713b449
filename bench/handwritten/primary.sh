# shellcheck shell=sh disable=SC2154 # the variables come from dirs.sh, sent ahead of this file
# primary.sh (after dirs.sh) — on the primary: fstab, then move each dynamic
# folder to the storage and leave a symlink (mv + ln -s), then print the
# tree's manifest for the replicas to compare with. With "tar" as $1, it
# instead streams the tree minus dynamic folders and the caches' contents
# (but their guard dot-files) to stdout.
set -eu
cd "$root"

if [ "${1:-}" = tar ]; then
	set --
	for d in $(echo "$dynamic" | cut -d' ' -f1); do
		set -- "$@" "--exclude=./$d"
	done
	for d in $caches; do
		set -- "$@" "--exclude=./$d/[!.]*"
	done
	exec tar -c -f - "$@" .
fi

fstab
mountpoint -q "$mount" || { echo "$(hostname): $mount is not mounted" >&2; exit 1; }
echo "$dynamic" | while read -r rel shared; do
	src=$root/$rel
	dst=$store/$shared
	[ -L "$src" ] && continue
	if [ -d "$dst" ] && [ -n "$(ls -A "$dst")" ]; then
		echo "$(hostname): both $src and $dst hold data; refusing" >&2
		exit 3
	fi
	mkdir -p "${dst%/*}"
	[ -d "$dst" ] && rmdir "$dst"
	if [ -d "$src" ]; then mv "$src" "$dst"; else mkdir -p "$dst" "${src%/*}"; fi
	ln -s "$dst" "$src"
	echo "$(hostname): relocated $rel"
done
perms
echo "manifest $(manifest)"
