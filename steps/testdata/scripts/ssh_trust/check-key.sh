#!/bin/sh
key=/root/.ssh/shoal-ee-assets
generate=''
want='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHjn7lSpBhADWtxL/kHtOVUQWYdW+YAGQW9QALBnFhYM'
comment=shoal:ee/assets/web2
set -e
if [ -L "$key" ]; then
	echo "$key is a symlink: shoal never writes or reads a key through one" >&2
	exit 3
fi
if [ -e "$key" ]; then
	if [ ! -f "$key" ]; then
		echo "$key is not a file" >&2
		exit 3
	fi
	if [ -n "$generate" ]; then
		echo "$key appeared since the plan; run shoal plan again" >&2
		exit 3
	fi
	pub=$(ssh-keygen -y -P '' -f "$key" </dev/null 2>/dev/null) || {
		echo "$key is not a key ssh-keygen can read without a passphrase" >&2
		exit 3
	}
	pub=$(printf '%s\n' "$pub" | awk '{ print $1 " " $2; exit }')
	if [ "$pub" != "$want" ]; then
		echo "$key changed since the plan; run shoal plan again" >&2
		exit 3
	fi
	printf 'pub %s\n' "$pub"
	exit 0
fi
if [ -z "$generate" ]; then
	echo "$key is gone since the plan; run shoal plan again" >&2
	exit 3
fi
d=$(dirname -- "$key")
if [ ! -d "$d" ]; then
	mkdir -p -- "$d"
	chmod 0700 -- "$d"
fi
tmp=$(mktemp -d -- "$d/.shoal-keygen.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
ssh-keygen -q -t ed25519 -N '' -C "$comment" -f "$tmp/key" </dev/null >/dev/null
sync -- "$tmp/key" "$tmp/key.pub"
mv -fT -- "$tmp/key.pub" "$key.pub"
# a hard link never replaces what is there: the private key is never overwritten
if ! ln -- "$tmp/key" "$key"; then
	echo "$key appeared while shoal made it; run shoal plan again" >&2
	exit 3
fi
sync -- "$d"
printf 'pub %s\n' "$(awk '{ print $1 " " $2; exit }' "$key.pub")"
