#!/bin/sh
R='/var/www/it'\''s site'
D=var/cache
FR=no
VIA=''
VT=''
d='/var/www/it'\''s site/var/cache'
only_target=no
shallow=no
owner=www-data:www-data
mode=0775
set -e
shoal_beneath() {
	if [ -L "$R" ] && [ "$FR" != yes ]; then
		echo "site root $R is a symlink: refusing to work through it" >&2
		exit 1
	fi
	bp=$R
	case $D in */*) brest=${D%/*} ;; *) brest= ;; esac
	while [ -n "$brest" ]; do
		bp=$bp/${brest%%/*}
		case $brest in */*) brest=${brest#*/} ;; *) brest= ;; esac
		if [ -L "$bp" ] && { [ -z "${VIA:-}" ] || [ "$bp" != "$R/$VIA" ] || [ "$(readlink -- "$bp")" != "$VT" ]; }; then
			echo "$bp is a symlink: refusing to work through it" >&2
			exit 1
		fi
		[ -d "$bp" ] || break
	done
}
shoal_beneath
if [ -L "$d" ] && [ "$only_target" != yes ]; then exit 0; fi
if [ ! -e "$d" ] && [ ! -L "$d" ]; then mkdir -p -- "$d"; fi
top=$d
if [ "$only_target" = yes ]; then top=$d/; fi
if [ "$shallow" = yes ]; then
	chown -h -- "$owner" "$top"
	if [ -n "$mode" ]; then find "$top" -maxdepth 0 -type d ! -perm "$mode" -exec chmod "$mode" {} +; fi
else
	chown -R -P -h -- "$owner" "$top"
	if [ -n "$mode" ]; then find "$top" -type d ! -perm "$mode" -exec chmod "$mode" {} +; fi
fi
