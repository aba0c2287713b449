#!/bin/sh
cwd='/var/www/it'\''s'
root='/var/www/it'\''s'
user=www-data
env='HOME=/var/www
URL=https://example.com'
unless='wp core is-installed'
guard_limit=60
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
enter
case $? in
1) echo nocwd; exit 0 ;;
2) echo escapes; exit 0 ;;
esac
if [ -z "$unless" ]; then echo ready; exit 0; fi
guard </dev/null >/dev/null 2>&1
echo "status $?"