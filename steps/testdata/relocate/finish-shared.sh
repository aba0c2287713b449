set -e
shoal_manifest() (
	cd -- "$1"
	{
		find . \( -type d -printf 'd %p\0' \) -o \( -type l -printf 'l %p -> %l\0' \) \
			-o \( -type f -printf 'f %s %p\0' \) -o -printf '%y %p\0'
		find . -type f -exec sha256sum -- {} + | tr '\n' '\0'
	} 2>>"$2" | LC_ALL=C sort -z
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
	: >"$T/ea"
	: >"$T/eb"
	shoal_manifest "$1" "$T/ea" >"$T/a" &
	shoal_manifest "$2" "$T/eb" >"$T/b"
	wait $!
	shoal_readable "$1" "$T/ea"
	shoal_readable "$2" "$T/eb"
	shoal_contains "$T/a" "$T/b" "$1" "$2"
}
# shoal_readable fails when reading tree $1 printed errors ($2): a
# manifest with holes proves nothing.
shoal_readable() {
	[ -s "$2" ] || return 0
	{
		echo "could not read all of $1, so nothing was removed:"
		head -n 5 "$2"
		if grep -q 'Operation not permitted' "$2"; then
			echo "(sshfs refuses to read a symlink whose target is absolute or has a '..' component)"
		fi
	} >&2
	shoal_fail
}
# shoal_contains fails unless manifest $2 holds every entry of manifest $1.
shoal_contains() {
	missing=$(LC_ALL=C comm -z -23 "$1" "$2" | tr '\0' '\n' | head -n 5)
	if [ -n "$missing" ]; then
		printf '%s\n' "$4 lacks entries of $3 (kind, size, link target or checksum differ); nothing was removed:" "$missing" >&2
		shoal_fail
	fi
}
shoal_fail() {
	if [ -n "${DROP:-}" ]; then
		rm -rf -- "$DROP"
		echo "removed the failed copy $DROP" >&2
	fi
	exit 1
}
# shoal_links_stay refuses to move a folder holding symlinks whose target
# is absolute or has a '..' component: they may lead out of it, and
# sshfs cannot read them back.
shoal_links_stay() {
	out=$(find "$1" -type l \( -lname '/*' -o -lname '..' -o -lname '../*' -o -lname '*/..' -o -lname '*/../*' \) \
		-printf '%P -> %l\n' | head -n 5)
	if [ -n "$out" ]; then
		printf '%s\n' "$1 holds symlinks whose target is absolute or has a '..' component; shoal moves no such link:" "$out" >&2
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
shoal_beneath() {
	if [ -L "$R" ] && [ "$FR" != yes ]; then
		echo "site root $R is a symlink: refusing to work through it" >&2
		exit 1
	fi
	bp=$R
	case $D in */*) brest=${D%/*} ;; *) brest= ;; esac
	while [ -n "$brest" ]; do
		bp=$bp/${brest%%/*}
		case $brest in */*) brest=${brest#*/} ;; *) brest= ;; esac
		if [ -L "$bp" ] && { [ -z "${VIA:-}" ] || [ "$bp" != "$R/$VIA" ] || [ "$(readlink -- "$bp")" != "$VT" ]; }; then
			echo "$bp is a symlink: refusing to work through it" >&2
			exit 1
		fi
		[ -d "$bp" ] || break
	done
}
L='/var/www/it'\''s dolphin/media'
S=/mnt/nas/community/media
O='/var/www/it'\''s dolphin/media.shoal-old'
P=/mnt/nas/community/media.shoal-partial
SP=/mnt/nas/community
M=/mnt/nas
C='/var/www/it'\''s dolphin/media.shoal-conflicts-20260101-000000'
MC=''
R='/var/www/it'\''s dolphin'
D=media
FR=no
shoal_beneath
shoal_inside_storage
shoal_verify "$O" "$S"
ln -sT -- "$S" "$L"
rm -rf -- "$O"
