set -e
shoal_manifest() (
	cd -- "$1"
	{
		find . \( -type d -printf 'd %p\0' \) -o \( -type l -printf 'l %p -> %l\0' \) \
			-o \( -type f -printf 'f %s %p\0' \) -o -printf '%y %p\0'
		find . -type f -exec sha256sum -- {} + | tr '\n' '\0'
	} | LC_ALL=C sort -z
)
# shoal_tmp makes the scratch folder on first use: a plain link needs none.
shoal_tmp() {
	if [ -z "${T:-}" ]; then
		T=$(mktemp -d)
		trap 'rm -rf "$T"' EXIT
	fi
}
shoal_verify() {
	shoal_tmp
	echo "verifying $2 against $1"
	shoal_manifest "$1" >"$T/a" &
	shoal_manifest "$2" >"$T/b"
	wait $!
	shoal_contains "$T/a" "$T/b" "$1" "$2"
}
# shoal_contains fails unless manifest $2 holds every entry of manifest $1.
shoal_contains() {
	missing=$(LC_ALL=C comm -z -23 "$1" "$2" | tr '\0' '\n' | head -n 5)
	if [ -n "$missing" ]; then
		printf '%s\n' "$4 lacks entries of $3 (kind, size, link target or checksum differ); nothing was removed:" "$missing" >&2
		exit 1
	fi
}
# shoal_inside_storage refuses a shared folder whose parent leads out of
# the storage through a symlink.
shoal_inside_storage() {
	mkdir -p -- "$SP"
	here=$PWD
	cd -P -- "$SP"
	sp=$PWD
	cd -P -- "$M"
	m=$PWD
	cd -- "$here"
	case "$sp/" in
	"$m"/*) ;;
	*) echo "$SP leads out of the storage $M through a symlink" >&2; exit 1 ;;
	esac
}
shoal_unlink_empty() {
	if [ -d "$1" ] && [ ! -L "$1" ]; then rmdir -- "$1"; fi
}
L='/var/www/it'\''s dolphin/media'
S=/mnt/nas/community/media
O='/var/www/it'\''s dolphin/media.shoal-old'
P=/mnt/nas/community/media.shoal-partial
SP=/mnt/nas/community
M=/mnt/nas
C='/var/www/it'\''s dolphin/media.shoal-conflicts-20260101-000000'
MC=''
shoal_inside_storage
shoal_verify "$O" "$P"
shoal_unlink_empty "$S"
mv -T -- "$P" "$S"
ln -sT -- "$S" "$L"
shoal_verify "$O" "$L"
rm -rf -- "$O"
