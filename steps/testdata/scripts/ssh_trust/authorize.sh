#!/bin/sh
user=root
file=authorized_keys
mode=0600
line='restrict,from="10.0.0.12",command="rrsync -ro /var/www/ee/assets" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHjn7lSpBhADWtxL/kHtOVUQWYdW+YAGQW9QALBnFhYM shoal:ee/assets/web2'
tag=shoal:ee/assets/web2
hostkey='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN7xDmPFykWwyuXPdCDlae/rrzyEiuBtlLacsFcdR+Z+'
hostkeyfile=/etc/ssh/ssh_host_ed25519_key.pub
set -e
if [ -n "$hostkey" ]; then
	now=$(awk '{ print $1 " " $2; exit }' "$hostkeyfile" 2>/dev/null) || now=
	if [ "$now" != "$hostkey" ]; then
		echo "this node's host key ($hostkeyfile) changed since the plan; run shoal plan again" >&2
		exit 3
	fi
fi
pw=$(getent passwd "$user") || {
	echo "there is no user $user here" >&2
	exit 3
}
home=$(printf '%s\n' "$pw" | cut -d: -f6)
ids=$(printf '%s\n' "$pw" | cut -d: -f3,4)
case "$home" in
/*) ;;
*)
	echo "$user's home folder '$home' is not an absolute path" >&2
	exit 3
	;;
esac
cd -P -- "$home"
top=$(pwd -P)
if [ ! -e .ssh ] && [ ! -L .ssh ]; then
	mkdir -m 0700 .ssh
	chown -h -- "$ids" .ssh
fi
if [ -L .ssh ] || [ ! -d .ssh ]; then
	echo "$top/.ssh is not a folder (a symlink?): not writing through it" >&2
	exit 3
fi
cd .ssh
if [ "$(pwd -P)" != "$top/.ssh" ]; then
	echo "$top/.ssh was replaced while shoal used it" >&2
	exit 3
fi
exec 9<.
flock -w 60 9 || {
	echo "$top/.ssh is locked by another process" >&2
	exit 1
}
stage=$(mktemp -d .shoal-XXXXXX)
trap 'rm -rf -- "$stage"' EXIT
cd "$stage"
trap 'cd .. && rm -rf -- "$stage"' EXIT
if [ "$(pwd -P)" != "$top/.ssh/$stage" ] || [ "$(stat -c %u .)" != "$(id -u)" ]; then
	echo "$top/.ssh/$stage was replaced while shoal used it" >&2
	exit 3
fi
existed=
if [ -e "../$file" ] || [ -L "../$file" ]; then
	if [ -L "../$file" ] || [ ! -f "../$file" ]; then
		echo "$top/.ssh/$file is not a regular file (a symlink?): not writing through it" >&2
		exit 3
	fi
	cp -P -p -- "../$file" old
	if [ -L old ] || [ ! -f old ]; then
		echo "$top/.ssh/$file was replaced while shoal read it" >&2
		exit 3
	fi
	existed=1
else
	: >old
	chown -- "$ids" old
	chmod 0644 old
fi
line=$line tag=$tag awk '
$NF == ENVIRON["tag"] { if (!done) print ENVIRON["line"]; done = 1; next }
{ print }
END { if (!done) print ENVIRON["line"] }
' old >new
if [ -n "$existed" ] && cmp -s old new; then
	echo "$top/.ssh/$file already holds the line"
	exit 0
fi
chown --reference=old -- new
chmod --reference=old -- new
if [ -n "$mode" ]; then chmod "$mode" new; fi
if [ -n "$existed" ]; then
	mv -fT -- old "../$file.shoal.bak"
fi
sync -- new
mv -fT -- new "../$file"
sync -- ..
echo "wrote $top/.ssh/$file"
