#!/bin/sh
user=root
prefix=shoal:ee/assets/
hostkeyfile=/etc/ssh/ssh_host_ed25519_key.pub
state() {
	if [ -L "$1" ]; then
		printf '%s link %s\n' "$2" "$(readlink -- "$1" | tr -d '\n')"
	elif [ -d "$1" ]; then
		stat -c "$2 dir %a %u" -- "$1"
	elif [ -f "$1" ]; then
		stat -c "$2 file %a %u" -- "$1"
	elif [ -e "$1" ]; then
		echo "$2 other"
	else
		echo "$2 absent"
	fi
}
if [ -f "$hostkeyfile" ]; then
	awk '{ print "hostkey " $1 " " $2; exit }' "$hostkeyfile"
else
	echo "hostkey absent"
fi
command -v rrsync >/dev/null 2>&1 && echo rrsync
for s in sshd /usr/sbin/sshd; do
	if command -v "$s" >/dev/null 2>&1; then
		if conf=$("$s" -T 2>/dev/null); then
			echo "sshd read"
			printf '%s\n' "$conf" | awk 'tolower($1) == "authorizedkeysfile" || tolower($1) == "subsystem" || tolower($1) == "strictmodes" { print "sshd " $0 }'
		fi
		break
	fi
done
pw=$(getent passwd "$user") || {
	echo "user absent"
	exit 0
}
printf 'user %s\n' "$pw"
home=$(printf '%s\n' "$pw" | cut -d: -f6)
case "$home" in
/*) ;;
*) exit 0 ;;
esac
state "$home" home
state "$home/.ssh" dir
state "$home/.ssh/authorized_keys" file
if [ ! -L "$home/.ssh" ] && [ -d "$home/.ssh" ] && [ ! -L "$home/.ssh/authorized_keys" ] && [ -f "$home/.ssh/authorized_keys" ]; then
	prefix=$prefix awk 'index($NF, ENVIRON["prefix"]) == 1 { print "line " $0 }' "$home/.ssh/authorized_keys"
fi
