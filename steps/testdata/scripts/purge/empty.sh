#!/bin/sh
R='/var/www/it'\''s site'
D=cache
FR=no
owner=www-data:www-data
keep='index.html
\[x\]'
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
d=$R/$D
if [ -L "$d" ]; then echo "$d is a symlink: not purging through it" >&2; exit 1; fi
if [ ! -e "$d" ]; then
	mkdir -p -- "$d"
	if [ -n "$owner" ]; then chown -- "$owner" "$d"; fi
fi
[ -d "$d" ] || { echo "$d is not a folder" >&2; exit 1; }
cd -P -- "$d"
real=$PWD
cd -P -- "$R"
[ "$real" = "$PWD/$D" ] || { echo "$d leads to $real through a symlink: not purging" >&2; exit 1; }
set --
while IFS= read -r k; do
	if [ -n "$k" ]; then set -- "$@" ! -name "$k"; fi
done <<KEEP
$keep
KEEP
find "$real" -mindepth 1 -maxdepth 1 ! -name '.*' "$@" -exec rm -rf -- {} +
