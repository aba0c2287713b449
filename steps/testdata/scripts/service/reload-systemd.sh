#!/bin/sh
name=nginx
init=systemd
start=''
reload=1
boot=''
action=reload
check='nginx -t'
initd=/etc/init.d
rcdir=/etc
leads=file.site
stamps=/var/lib/shoal/changed/s
records=/var/lib/shoal/loaded/s/service.nginx
set -e
if [ -d /run/systemd/system ]; then now=systemd; else now=sysv; fi
if [ "$now" != "$init" ]; then
	echo "the plan was made for $init, but this node now runs $now; run shoal plan again" >&2
	exit 3
fi
ctl() {
	if [ "$init" = systemd ]; then
		systemctl "$1" -- "$name"
	elif [ -x "$initd/$name" ]; then
		(cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$initd/$name" "$1")
	else
		echo "$initd/$name is missing: is $name installed?"
		return 1
	fi
}
running() {
	if [ "$init" = systemd ]; then
		systemctl is-active --quiet -- "$name"
	else
		[ -x "$initd/$name" ] && ctl status </dev/null >/dev/null 2>&1
	fi
}
logged() {
	log=$(mktemp)
	st=0
	ctl "$1" </dev/null >"$log" 2>&1 || st=$?
	cat -- "$log"
	rm -f -- "$log"
	if [ "$st" -ne 0 ]; then
		echo "$1 $name failed (exit $st)" >&2
		exit 1
	fi
	i=0
	until running; do
		i=$((i + 1))
		if [ "$i" -ge 50 ]; then
			echo "$name is not running after $1" >&2
			exit 1
		fi
		sleep 0.1
	done
}
config_test() {
	[ -n "$check" ] || return 0
	st=0
	out=$(sh -c "$check" </dev/null 2>&1) || st=$?
	[ "$st" -ne 0 ] || return 0
	printf '%s\n' "$out"
	echo "config test failed ($check: exit $st): $name not ${1}ed, it runs as it was" >&2
	exit 1
}
record() {
	printf '%s\n' "$leads" | while IFS= read -r l; do
		[ -n "$l" ] && [ -f "$stamps/$l" ] || continue
		mkdir -p -- "$records"
		cp -- "$stamps/$l" "$records/$l.tmp"
		mv -f -- "$records/$l.tmp" "$records/$l"
	done
}
if [ -n "$start" ]; then
	if running; then
		echo "$name was started since the plan was made: $action so it runs the current configuration"
		config_test "$action"
		logged "$action"
	else
		config_test start
		logged start
	fi
	record
elif [ -n "$reload" ]; then
	if ! running; then
		echo "$name is not running any more; run shoal plan again" >&2
		exit 3
	fi
	config_test "$action"
	logged "$action"
	record
fi
case $boot in
enable)
	if [ "$init" = systemd ]; then
		systemctl enable --quiet -- "$name"
	else
		links=
		for f in "$rcdir"/rc[2345].d/[SK][0-9][0-9]"$name"; do
			if [ -e "$f" ]; then links=1; fi
		done
		if [ -n "$links" ]; then
			update-rc.d "$name" enable
		else
			# no start or stop links where it would run: make them anew
			update-rc.d -f "$name" remove >/dev/null
			update-rc.d "$name" defaults
		fi
	fi
	;;
disable)
	if [ "$init" = systemd ]; then
		systemctl disable --quiet -- "$name"
	else
		update-rc.d "$name" disable
	fi
	;;
esac
