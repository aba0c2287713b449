# shellcheck shell=sh disable=SC2154 # the variables come from dirs.sh, sent ahead of this file
# replica.sh (after dirs.sh) MANIFEST — on a replica: fstab, a symlink for
# every dynamic folder, cache folders owned by the site owner and emptied
# but for their dot-files (guards such as .htaccess), as rm -rf cache/*
# would; then compare the tree with the primary's MANIFEST and print
# "copy" if it needs the tree.
set -eu

fstab
mkdir -p "$root"
echo "$dynamic" | while read -r rel shared; do
	src=$root/$rel
	dst=$store/$shared
	[ -L "$src" ] && continue
	mkdir -p "${src%/*}"
	[ -d "$src" ] && rmdir "$src"
	ln -s "$dst" "$src"
done
for d in $caches; do
	mkdir -p "$root/$d"
	find "$root/$d" -mindepth 1 -maxdepth 1 ! -name '.*' -exec rm -rf {} +
	chown "$owner" "$root/$d"
done
[ "$(manifest)" = "$1" ] || echo copy
