package steps

import (
	"path"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// relocatePrelude names the paths and defines the check every removal
// relies on: shoal_verify A B passes when every entry of A is in B with
// the same kind, file size, symlink target and sha256. Extra entries in B
// (uploads since the link) are fine; a missing or changed one fails, and
// so does a tree that could not be read in full (the reason is shown).
// Owners and modes are not compared: some storages map them. Both trees
// are hashed at once. shoal_fail removes $DROP, a copy that failed, when
// set.
const relocatePrelude = `set -e
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
` + beneathCheck

// relocateCopy copies L into a fresh S.shoal-partial, which is removed
// again if the copy fails. tar copies everything but symlinks, owners,
// modes and times kept where the storage can hold them; cp -P makes the
// symlinks, setting nothing on them: restoring a link's owner or times
// over sshfs sets them on what it points to, on the file server. A full
// storage stops the copy with that reason (sshfs reports it as an I/O
// error); other complaints of tar are logged and the verification that
// follows decides. tar's listing goes to stdout for progress.
const relocateCopy = `exec 3>&1
shoal_links_stay "$L"
shoal_tmp
rm -rf -- "$P"
mkdir -- "$P"
DROP=$P
created=$( { { cd -- "$L" && find . ! -type l -print0 |
	tar --null --no-recursion -T - --numeric-owner --format=posix -cvvf - 2>&3; echo $? >&4; } |
	tar -C "$P" --numeric-owner -xpf - 2>"$T/x"; } 4>&1 ) || shoal_copy_trouble
[ "$created" -le 1 ] || { echo "reading $L failed" >&2; shoal_fail; }
(cd -- "$L" && find . -type l -exec cp -P --parents -t "$P" -- {} +) 2>"$T/x" || shoal_copy_trouble
`

// relocateCopyTrouble judges a failed copy into $P: a full storage
// (tar says so, or the filesystem has under 1 MiB left) fails; otherwise
// tar's complaints are shown and the verification decides.
const relocateCopyTrouble = `shoal_copy_trouble() {
	# shellcheck disable=SC2046 # two numbers, or none when stat fails
	set -- $(stat -f -c '%f %S' -- "$P" 2>/dev/null) 0 0
	free=$(($1 * $2))
	if grep -q 'No space left on device' "$T/x" || [ "$free" -lt 1048576 ]; then
		{
			echo "No space left on device: the storage has $((free / 1024)) KiB free at $SP, too little to copy $L" \
				"(sshfs reports a full disk as 'Input/output error'); make room on it and run again:"
			head -n 3 "$T/x"
		} >&2
		shoal_fail
	fi
	head -n 5 "$T/x"
	echo "tar could not keep every owner, mode or time in $P; verifying content"
}
`

// relocateSwap puts a verified partial copy in place and links L to it;
// L's data waits in L.shoal-old until it is verified once more, since the
// site may have written to L between the copy's check and the rename.
const relocateSwap = `shoal_unlink_empty "$S"
mv -T -- "$P" "$S"
ln -sT -- "$S" "$L"
`

const relocateDropOld = `shoal_verify "$O" "$L"
rm -rf -- "$O"
`

// relocateMerge copies into S what it lacks (overwriting nothing), then
// drops from L only what S holds identically; what is left differs from
// S and is kept in L.shoal-conflicts-<time> and listed.
//
// Symlinks are made by cp -P, as in a copy; a symlink in S where L has a
// folder stops the merge, since tar would extract into what it points to.
const relocateMerge = `shoal_links_stay "$L"
out=$(cd -- "$S" && find . -type l -exec sh -c '
	for l; do if [ -d "$0/$l" ] && [ ! -L "$0/$l" ]; then printf "%s\n" "$l"; fi; done' "$L" {} + | head -n 5)
if [ -n "$out" ]; then
	printf '%s\n' "$S holds symlinks where $L has folders; merging would write through them:" "$out" >&2
	exit 1
fi
(cd -- "$L" && find . ! -type l -print0 | tar --null --no-recursion -T - --numeric-owner --format=posix -cf -) |
	tar -C "$S" --numeric-owner --skip-old-files -xpf - 2>&1 ||
	echo "tar could not keep every owner, mode or time in $S; only what compares equal leaves $L"
(cd -- "$L" && find . -type l -exec cp -P -n --parents -t "$S" -- {} +)
cd -- "$L"
find . ! -type d -exec sh -c '
	S=$1; shift
	for f; do
		t=$S/$f
		if [ -L "$f" ]; then
			[ -L "$t" ] && [ "$(readlink -- "$f")" = "$(readlink -- "$t")" ] && rm -f -- "$f"
		elif [ -f "$f" ]; then
			[ -f "$t" ] && [ ! -L "$t" ] && cmp -s -- "$f" "$t" && rm -f -- "$f"
		fi
	done
	exit 0' shoal-merge "$S" {} +
find . -mindepth 1 -depth -type d -empty -exec sh -c '[ -d "$1/$2" ] && rmdir -- "$2"; exit 0' shoal-merge "$S" {} \;
cd /
if [ -z "$(ls -A -- "$L")" ]; then
	rmdir -- "$L"
else
	mv -T -- "$L" "$C"
	echo "kept in $C (differs from $S):"
	(cd -- "$C" && find . ! -type d)
fi
ln -sT -- "$S" "$L"
`

// script is the shell that moves state forward; stamp names the folder
// that keeps files a merge could not place.
func (s *Relocate) script(state relocateState, stamp string) string {
	return s.scriptChecking(state, stamp, false)
}

// relocateMountCheck proves on the node that the storage is mounted, and
// of the expected kind ($MC: a prefix of its fstype or source), before
// anything is made under it; for scripts that run without Apply's read.
const relocateMountCheck = `shoal_mounted() {
	m=$(findmnt -n -o FSTYPE,SOURCE --mountpoint "$M" 2>/dev/null) || m=
	[ -n "$m" ] || { echo "storage $M is not mounted: refusing to link to a local folder" >&2; exit 1; }
	fs=${m%% *}
	src=${m#* }
	src=${src#"${src%%[! ]*}"}
	case "$fs" in "$MC"*) return ;; esac
	case "$src" in "$MC"*) return ;; esac
	echo "storage $M is $fs from $src, not $MC" >&2
	exit 1
}
shoal_mounted
`

func (s *Relocate) scriptChecking(state relocateState, stamp string, checkMount bool) string {
	var b strings.Builder
	b.WriteString(relocatePrelude)
	for _, v := range [][2]string{
		{"L", s.local()}, {"S", s.Shared}, {"O", s.old()}, {"P", s.partial()},
		{"SP", path.Dir(s.Shared)}, {"M", s.Mount}, {"C", s.local() + ".shoal-conflicts-" + stamp},
		{"MC", s.MountCheck}, {"R", s.Root}, {"D", path.Clean(s.Dir)}, {"FR", yesNo(s.FollowRootLink)},
	} {
		b.WriteString(v[0] + "=" + shell.Quote(v[1]) + "\n")
	}
	if checkMount && !s.StorageHere {
		b.WriteString(relocateMountCheck)
	}
	b.WriteString("shoal_beneath\nshoal_inside_storage\n")
	switch state {
	case relocRename:
		// mv falls back to copy-and-delete across filesystems: refuse that.
		b.WriteString(`shoal_links_stay "$L"
[ "$(stat -c %d -- "$L")" = "$(stat -c %d -- "$SP")" ] || { echo "$L and $SP are on different filesystems" >&2; exit 1; }
shoal_unlink_empty "$S"
mv -T -- "$L" "$S"
ln -sT -- "$S" "$L"
`)
	case relocCopy:
		// The copy was read back once; the second check hashes only L's
		// data again, against that reading, since renames change no content.
		b.WriteString(relocateCopyTrouble + relocateCopy + `shoal_verify "$L" "$P"
DROP=
mv "$T/b" "$T/copy"
mv -T -- "$L" "$O"
` + relocateSwap + `echo "verifying $O against the copy now at $S"
shoal_manifest "$O" "$T/ea" >"$T/a"
shoal_readable "$O" "$T/ea"
shoal_contains "$T/a" "$T/copy" "$O" "$S"
rm -rf -- "$O"
`)
	case relocFinishPartial:
		b.WriteString(`shoal_verify "$O" "$P"
` + relocateSwap + relocateDropOld)
	case relocFinishShared:
		b.WriteString(`shoal_verify "$O" "$S"
ln -sT -- "$S" "$L"
rm -rf -- "$O"
`)
	case relocCleanOld:
		b.WriteString(relocateDropOld)
	case relocLink:
		// a module folder the tree lacks still gets its link (its parent made)
		b.WriteString(`shoal_unlink_empty "$L"
mkdir -p -- "${L%/*}"
ln -sT -- "$S" "$L"
`)
	case relocCreateLink:
		b.WriteString(`mkdir -p -- "$S" "${L%/*}"
if [ -d "$L" ] && [ ! -L "$L" ]; then
	chown --reference="$L" -- "$S"
	chmod --reference="$L" -- "$S"
	rmdir -- "$L"
fi
[ -L "$L" ] || ln -sT -- "$S" "$L"
`)
	case relocMerge:
		b.WriteString(relocateMerge)
	}
	return b.String()
}
