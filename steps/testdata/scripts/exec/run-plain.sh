#!/bin/sh
cwd=/
root=''
user=''
env=''
unless=''
guard_limit=60
command='nginx -s reload'
creates=''
has_stdin=''
stdin=''
with_env() (
	set -f
	IFS='
'
	# shellcheck disable=SC2163 # each line is NAME=value: export both
	for shoal_kv in $env; do export "$shoal_kv"; done
	exec "$@"
)
enter() {
	cd -- "$cwd" 2>/dev/null || return 1
	[ -n "$root" ] || return 0
	here=$(pwd -P) && top=$(cd -P -- "$root" && pwd) || return 1
	case "$here/" in
	"$top"/*) return 0 ;;
	esac
	return 2
}
guard() {
	if [ -n "$user" ]; then
		with_env timeout -k 5 "$guard_limit" runuser -u "$user" -- sh -c "$unless"
	else
		with_env timeout -k 5 "$guard_limit" sh -c "$unless"
	fi
}
exec 2>&1
enter
case $? in
1) echo "shoal: cannot enter $cwd: not running"; exit 3 ;;
2) echo "shoal: $cwd leads out of $root through a symlink: not running there"; exit 3 ;;
esac
if [ -n "$creates" ] && { [ -e "$creates" ] || [ -L "$creates" ]; }; then
	echo "shoal: $creates exists now: not running"
	exit 0
fi
if [ -n "$unless" ]; then
	guard </dev/null >/dev/null 2>&1
	case $? in
	0) echo "shoal: the unless test succeeds now: not running"; exit 0 ;;
	124) echo "shoal: the unless test did not finish within $guard_limit seconds: not running"; exit 3 ;;
	esac
fi
if [ -n "$user" ]; then
	set -- runuser -u "$user" -- sh -c "$command"
else
	set -- sh -c "$command"
fi
if [ -n "$has_stdin" ]; then
	printf '%s' "$stdin" | with_env "$@"
else
	with_env "$@" </dev/null
fi