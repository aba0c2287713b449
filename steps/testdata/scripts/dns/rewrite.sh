#!/bin/sh
zone=site.example
serial=2026120101
zone_file=/etc/bind/shoal/db.site.example
zone_content='; Managed by shoal (site ee, dns.www); changes here are overwritten.
$ORIGIN site.example.
$TTL 60
@	IN	SOA	ns.site.example. hostmaster.site.example. (
	2026120101	; serial
	3600	; refresh
	600	; retry
	1209600	; expire
	60	; negative answers
)
@	IN	NS	ns.site.example.
ns	IN	A	10.0.0.53
@	IN	A	10.0.0.11
@	IN	A	10.0.0.12
@	IN	A	10.0.0.13
admin	IN	A	10.0.0.11
'
write_zone=yes
zone_was=a79f675cc391efafb28955e815c3233a55555d382d87170becdec12f21228847
conf_file=/etc/bind/shoal/site.example.conf
conf_content='// Managed by shoal (site ee, dns.www); changes here are overwritten.
zone "site.example" {
	type master;
	file "/etc/bind/shoal/db.site.example";
};
'
write_conf=''
conf_was=''
include_in=/etc/bind/named.conf.local
include_line='include "/etc/bind/shoal/site.example.conf";'
add_include=''
named_conf=/etc/bind/named.conf
reconfig=''
set -e
sha() {
	if [ -e "$1" ]; then
		s=$(sha256sum < "$1")
		echo "${s%% *}"
	fi
}
unchanged() {
	if [ -n "$1" ] && [ "$(sha "$2")" != "$3" ]; then
		echo "$2 changed since the plan was made; run shoal plan again" >&2
		exit 3
	fi
}
unchanged "$write_zone" "$zone_file" "$zone_was"
unchanged "$write_conf" "$conf_file" "$conf_was"
zone_tmp=
conf_tmp=
inc_tmp=
trap 'rm -f -- "$zone_tmp" "$conf_tmp" "$inc_tmp"' EXIT
keep() {
	if [ -e "$1" ]; then
		cp -p -- "$1" "$1.shoal.bak.tmp"
		mv -f -- "$1.shoal.bak.tmp" "$1.shoal.bak"
	fi
}
if [ -n "$write_zone" ]; then
	mkdir -p -- "$(dirname -- "$zone_file")"
	zone_tmp=$(mktemp -- "$zone_file.shoal-tmp.XXXXXX")
	printf '%s' "$zone_content" > "$zone_tmp"
	chmod 0644 -- "$zone_tmp"
	if ! out=$(named-checkzone -k fail -i local "$zone" "$zone_tmp" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "named-checkzone refused the new zone $zone; nothing changed" >&2
		exit 1
	fi
fi
if [ -n "$write_conf" ]; then
	mkdir -p -- "$(dirname -- "$conf_file")"
	conf_tmp=$(mktemp -- "$conf_file.shoal-tmp.XXXXXX")
	printf '%s' "$conf_content" > "$conf_tmp"
	chmod 0644 -- "$conf_tmp"
	if ! out=$(named-checkconf "$conf_tmp" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "named-checkconf refused the declaration of $zone; nothing changed" >&2
		exit 1
	fi
fi
if [ -n "$zone_tmp" ]; then
	keep "$zone_file"
	sync -- "$zone_tmp"
	mv -f -- "$zone_tmp" "$zone_file"
	zone_tmp=
fi
if [ -n "$conf_tmp" ]; then
	keep "$conf_file"
	sync -- "$conf_tmp"
	mv -f -- "$conf_tmp" "$conf_file"
	conf_tmp=
fi
if [ -n "$add_include" ] && ! grep -qxF -- "$include_line" "$include_in" 2>/dev/null; then
	inc_tmp=$(mktemp -- "$include_in.shoal-tmp.XXXXXX")
	if [ -e "$include_in" ]; then
		cat -- "$include_in" > "$inc_tmp"
		chown --reference="$include_in" -- "$inc_tmp"
		chmod --reference="$include_in" -- "$inc_tmp"
		if [ -s "$inc_tmp" ] && [ -n "$(tail -c 1 -- "$inc_tmp")" ]; then echo >> "$inc_tmp"; fi
		keep "$include_in"
	else
		chmod 0644 -- "$inc_tmp"
	fi
	printf '%s\n' "$include_line" >> "$inc_tmp"
	sync -- "$inc_tmp"
	mv -f -- "$inc_tmp" "$include_in"
	inc_tmp=
	if ! out=$(named-checkconf "$named_conf" 2>&1); then
		printf '%s\n' "$out" >&2
		if [ -e "$include_in.shoal.bak" ]; then
			cp -p -- "$include_in.shoal.bak" "$include_in"
		else
			rm -f -- "$include_in"
		fi
		echo "named-checkconf refused $named_conf with $zone included: $include_in is as it was" >&2
		exit 1
	fi
fi
if [ -n "$reconfig" ]; then
	rndc reconfig
fi
rndc reload "$zone" >/dev/null
i=0
while :; do
	now=$(rndc zonestatus "$zone" 2>/dev/null | sed -n 's/^serial: //p')
	[ "$now" != "$serial" ] || break
	i=$((i + 1))
	if [ "$i" -ge 100 ]; then
		echo "named still serves serial ${now:-none} of $zone after the reload, not $serial" >&2
		exit 1
	fi
	sleep 0.1
done
