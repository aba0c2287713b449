#!/bin/sh
name=nginx
initd=/etc/init.d
rcdir=/etc
leads=file.site
stamps=/var/lib/shoal/changed/s
records=/var/lib/shoal/loaded/s/service.nginx
if [ -d /run/systemd/system ]; then
	echo init systemd
	if systemctl is-active --quiet -- "$name"; then echo active yes; else echo active no; fi
	boot=$(systemctl is-enabled -- "$name" 2>/dev/null) || :
	echo "boot ${boot:-not-found}"
else
	echo init sysv
	if [ -x "$initd/$name" ] && (cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$initd/$name" status) </dev/null >/dev/null 2>&1; then
		echo active yes
	else
		echo active no
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		boot=disabled
		for f in "$rcdir"/rc[2345].d/S[0-9][0-9]"$name"; do
			if [ -e "$f" ]; then boot=enabled; fi
		done
		echo "boot $boot"
	else
		echo boot unknown
	fi
fi
printf '%s\n' "$leads" | while IFS= read -r l; do
	[ -n "$l" ] || continue
	s=-
	r=-
	if [ -f "$stamps/$l" ]; then read -r s <"$stamps/$l" || s=-; fi
	if [ -f "$records/$l" ]; then read -r r <"$records/$l" || r=-; fi
	echo "lead $l ${s:--} ${r:--}"
done
