#!/bin/sh
# mirror: the jobs of an ExpressionEngine master and its mirrors, installed
# by shoal's expressionengine recipe (recipes/expressionengine/mirror.sh).
#
#   mirror CONF dump      on the master: dump the database, complete or not at all
#   mirror CONF sync      on a mirror: pull the synced folders from the master
#   mirror CONF import    on a mirror: pull the master's newest dump and import it
#   mirror CONF database  on a mirror: create the database and its user
#   mirror CONF reaches   exit 0 if the site's user reaches its database
#
# Cron runs them under flock, so runs of one job never overlap. CONF holds
# key=value lines, read and never sourced: root, master, rsh, db,
# mysql_cnf, sql_dir, state, one sync= line per synced folder, and
# admin_cnf (optional: the option file of an account that may create
# databases and users; without it, mysql's own defaults, which are root's
# unix socket login on Debian). The database password is only in
# mysql_cnf, an option file only root reads; no command line here carries
# it. Output only on failure (cron mails it).
#
# The master keeps one dump, dump-<UTC time>.sql in sql_dir, written under
# a temporary name (dump.partial) and renamed once mysqldump has finished; a
# mirror pulls only such names, imports the newest, and removes it once
# the import succeeded, recording its name so it is not pulled again.
# Mirrors pull over SSH from an rrsync -ro login: they can read the
# master's site, never change it.
set -eu
umask 077

if [ $# -ne 2 ]; then
	echo "usage: mirror CONF dump|sync|import|database|reaches" >&2
	exit 2
fi
conf=$1
job=$2

# get KEY: the first value of KEY in CONF; all KEY: every one, a line each.
get() { sed -n "s/^$1=//p" "$conf" | head -n 1; }
all() { sed -n "s/^$1=//p" "$conf"; }
need() {
	v=$(get "$1")
	if [ -z "$v" ]; then
		echo "mirror: $conf sets no $1" >&2
		exit 2
	fi
	printf '%s\n' "$v"
}

root=$(need root)
state=$(need state)
db=$(need db)
case $db in *[!A-Za-z0-9_]*)
	echo "mirror: database $db: letters, digits and _ only" >&2
	exit 2
	;;
esac
cnf=$(need mysql_cnf)
sql_dir=$(need sql_dir)

# The site root is never a symlink, and nothing this script writes or
# deletes under it lies behind one (the site's users may plant them).
no_link() { # no_link REL: no component of root/REL is a symlink
	p=$root
	[ ! -L "$p" ] || return 1
	saved_ifs=$IFS
	IFS=/
	set -f
	for c in $1; do
		p=$p/$c
		if [ -L "$p" ]; then
			IFS=$saved_ifs
			set +f
			return 1
		fi
	done
	IFS=$saved_ifs
	set +f
}
if [ -L "$root" ] || [ ! -d "$root" ]; then
	echo "mirror: $root is not a folder (or is a symlink)" >&2
	exit 1
fi
if ! no_link "$sql_dir"; then
	echo "mirror: $root/$sql_dir leads through a symlink: not touching it" >&2
	exit 1
fi
dumps=$root/$sql_dir
mkdir -p -- "$state"

# filters PATH: rsync filter arguments that take the folder PATH (under
# the root) and the folders above it, and nothing else.
filters() {
	above=
	saved_ifs=$IFS
	IFS=/
	set -f
	for c in $1; do
		above=$above/$c
		printf '%s\n' "--include=$above/"
	done
	IFS=$saved_ifs
	set +f
}

# pull FILTER...: rsync from the master's root into ours, through the
# trusted key; filters say what, --delete removes what the master no
# longer has among it and nothing else.
pull() {
	rsh=$(need rsh)
	master=$(need master)
	rsync -rlptgo --delete -e "$rsh" "$@" --exclude='*' "$master:./" "$root/"
}

case $job in
dump)
	mkdir -p -- "$dumps"
	name=dump-$(date -u +%Y%m%dT%H%M%S.%NZ).sql
	# not a dot-file: replicate copies a local folder's top-level ones,
	# and not dump-*.sql: mirrors pull only those
	tmp=$dumps/dump.partial
	rm -f -- "$tmp"
	if ! mysqldump --defaults-extra-file="$cnf" --single-transaction --quick --hex-blob "$db" > "$tmp"; then
		rm -f -- "$tmp"
		echo "mirror: mysqldump of $db failed; the mirrors keep the previous dump" >&2
		exit 1
	fi
	if ! tail -n 1 -- "$tmp" | grep -q '^-- Dump completed'; then
		rm -f -- "$tmp"
		echo "mirror: the dump of $db did not complete; the mirrors keep the previous dump" >&2
		exit 1
	fi
	sync -- "$tmp"
	mv -f -- "$tmp" "$dumps/$name"
	for old in "$dumps"/dump-*.sql; do
		[ "$old" = "$dumps/$name" ] || rm -f -- "$old"
	done
	printf '%s\n' "$name" > "$state/dumped.tmp"
	mv -f -- "$state/dumped.tmp" "$state/dumped"
	;;
sync)
	set --
	while IFS= read -r dir; do
		[ -n "$dir" ] || continue
		while IFS= read -r f; do set -- "$@" "$f"; done <<EOF
$(filters "$dir")
EOF
		set -- "$@" "--include=/$dir/***"
	done <<EOF
$(all sync)
EOF
	if [ $# -eq 0 ]; then
		exit 0
	fi
	pull "--exclude=/$sql_dir/" "$@"
	date -u +%Y-%m-%dT%H:%M:%SZ > "$state/synced.tmp"
	mv -f -- "$state/synced.tmp" "$state/synced"
	;;
import)
	mkdir -p -- "$dumps"
	last=$(cat -- "$state/imported" 2>/dev/null || true)
	set --
	if [ -n "$last" ]; then
		set -- "--exclude=/$sql_dir/$last"
	fi
	while IFS= read -r f; do set -- "$@" "$f"; done <<EOF
$(filters "$sql_dir")
EOF
	pull "$@" "--include=/$sql_dir/dump-*.sql"
	newest=
	for f in "$dumps"/dump-*.sql; do
		[ -f "$f" ] && newest=$f
	done
	if [ -z "$newest" ]; then
		exit 0
	fi
	if ! tail -n 1 -- "$newest" | grep -q '^-- Dump completed'; then
		echo "mirror: $newest is not a complete dump: not importing it" >&2
		exit 1
	fi
	if ! mysql --defaults-extra-file="$cnf" "$db" < "$newest"; then
		echo "mirror: importing $newest into $db failed; it is kept for the next run" >&2
		exit 1
	fi
	basename -- "$newest" > "$state/imported.tmp"
	mv -f -- "$state/imported.tmp" "$state/imported"
	for f in "$dumps"/dump-*.sql; do
		rm -f -- "$f"
	done
	;;
database)
	user=$(my_print_defaults --defaults-extra-file="$cnf" client | sed -n 's/^--user=//p' | tail -n 1)
	password=$(my_print_defaults --defaults-extra-file="$cnf" client | sed -n 's/^--password=//p' | tail -n 1)
	if [ -z "$user" ] || [ -z "$password" ]; then
		echo "mirror: $cnf gives no user and password" >&2
		exit 2
	fi
	quoted=$(printf '%s' "$password" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")
	case $user in *[!A-Za-z0-9_]*)
		echo "mirror: user $user: letters, digits and _ only" >&2
		exit 2
		;;
	esac
	set --
	admin=$(get admin_cnf)
	if [ -n "$admin" ]; then
		set -- --defaults-extra-file="$admin"
	fi
	# the statements, password included, go to mysql on its stdin
	mysql "$@" <<EOF
CREATE DATABASE IF NOT EXISTS \`$db\`;
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$quoted';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$quoted';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost';
EOF
	;;
reaches)
	mysql --defaults-extra-file="$cnf" -e 'SELECT 1' "$db" > /dev/null 2>&1
	;;
*)
	echo "mirror: unknown job $job (dump, sync, import, database or reaches)" >&2
	exit 2
	;;
esac
