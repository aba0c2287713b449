#!/bin/sh
manager=rpm
install='php-fpm
php-mysqlnd'
set -e
export LC_ALL=C
set -f
# shellcheck disable=SC2086 # checked package names: no blanks, no globs
set -- $install
installed() {
	case $manager in
	dpkg) dpkg-query -W -f='${db:Status-Status}\n' -- "$1" 2>/dev/null | grep -qxE 'installed|triggers-(pending|awaited)' ;;
	rpm) rpm -q "$1" >/dev/null 2>&1 ;;
	esac
}
todo=
for p in "$@"; do
	installed "$p" || todo="$todo $p"
done
if [ -z "$todo" ]; then
	echo "installed since the plan was made: nothing left to install"
	exit 0
fi
# shellcheck disable=SC2086
set -- $todo
case $manager in
dpkg)
	command -v apt-get >/dev/null 2>&1 || { echo "apt-get is not on this node, yet the plan found dpkg; run shoal plan again" >&2; exit 3; }
	export DEBIAN_FRONTEND=noninteractive
	tmp=$(mktemp -d)
	trap 'rm -rf -- "$tmp"' EXIT
	apt_install() {
		{
			st=0
			apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
				-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- "$@" </dev/null 2>&1 || st=$?
			echo "$st" >"$tmp/status"
		} | tee "$tmp/log"
		return "$(cat "$tmp/status")"
	}
	if apt_install "$@"; then exit 0; fi
	grep -qE 'Unable to locate package|has no installation candidate|Failed to fetch' "$tmp/log" || exit 1
	echo "the package lists don't know or can't fetch what to install: apt-get update, then once more"
	apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null 2>&1
	apt_install "$@"
	;;
rpm)
	if command -v dnf >/dev/null 2>&1; then
		dnf install -y -q -- "$@" </dev/null 2>&1
	elif command -v yum >/dev/null 2>&1; then
		yum install -y -q -- "$@" </dev/null 2>&1
	else
		echo "neither dnf nor yum is on this node, yet the plan found rpm; run shoal plan again" >&2
		exit 3
	fi
	;;
*)
	echo "the plan names no package manager this node has ($manager); run shoal plan again" >&2
	exit 3
	;;
esac
