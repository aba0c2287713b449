#!/bin/sh
names='php8.2-fpm
libc6:i386'
set -f
# shellcheck disable=SC2086 # names are checked package names: no blanks, no globs
set -- $names
if command -v dpkg-query >/dev/null 2>&1; then
	echo dpkg
	dpkg-query -W -f='${Package} ${Architecture} ${db:Status-Status}\n' -- "$@" 2>/dev/null
	exit 0
fi
if command -v rpm >/dev/null 2>&1; then
	echo rpm
	rpm -q --qf '%{NAME} %{ARCH} installed\n' "$@" 2>/dev/null
	exit 0
fi
echo none
