#!/bin/sh
# mirror: the jobs of an ExpressionEngine master and its mirrors, installed
# by shoal's expressionengine recipe (recipes/expressionengine/mirror.sh).
#
#   mirror CONF dump      on the master: dump the database, complete or not at all
#   mirror CONF sync      on a mirror: pull the synced folders from the master
#   mirror CONF import [DELAY]
#                         on a mirror: pull the master's newest dump and import it,
#                         after waiting DELAY seconds (cron's way to stagger mirrors)
#   mirror CONF database  on a mirror: create the database, the import's two
#                         helper databases and the user
#   mirror CONF ready     exit 0 if the site's user reaches all three
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
#
# An import never changes the live database table by table: it loads the
# dump into a staging database of its own (<db>_shoal_in), then swaps
# every table the dump holds into <db> with one RENAME TABLE, which
# MariaDB and MySQL carry out as a whole or not at all, moving the live
# ones to <db>_shoal_old, whose tables it then drops. Readers see the old
# tables or the new ones, never a missing or half-filled one; a load that
# fails leaves <db> as it was. Tables only <db> has stay.
set -eu
umask 077

if [ $# -ne 2 ] && { [ $# -ne 3 ] || [ "$2" != import ]; }; then
	echo "usage: mirror CONF dump|sync|import [DELAY]|database|ready" >&2
	exit 2
fi
conf=$1
job=$2
delay=0
if [ $# -eq 3 ]; then
	delay=$3
fi
case $delay in '' | *[!0-9]* | ?????*)
	echo "mirror: DELAY $delay: whole seconds, 0 to 9999" >&2
	exit 2
	;;
esac

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
# the import's staging database, and where the live tables it replaces go
stage="$db"_shoal_in
old="$db"_shoal_old
if [ "$(printf '%s' "$old" | wc -c)" -gt 64 ]; then
	echo "mirror: database $db: at most 54 characters (the import adds _shoal_old)" >&2
	exit 2
fi
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

# sql STATEMENTS: run STATEMENTS as the site's user, in no database.
sql() { printf '%s\n' "$1" | mysql --defaults-extra-file="$cnf"; }
# empty DB: the statements that leave DB an empty database.
empty() { printf "DROP DATABASE IF EXISTS \`%s\`;\nCREATE DATABASE \`%s\`;\n" "$1" "$1"; }

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
	for prev in "$dumps"/dump-*.sql; do
		[ "$prev" = "$dumps/$name" ] || rm -f -- "$prev"
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
	# under cron's flock, so a run of import_now during apply waits for it
	sleep "$delay"
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
	# the dump names no database (mysqldump of one, without --databases):
	# it loads into whichever mysql is given
	if ! sql "$(empty "$stage")" ||
		! mysql --defaults-extra-file="$cnf" "$stage" < "$newest"; then
		sql "$(empty "$stage")" || true
		echo "mirror: loading $newest into $stage failed; $db is left as it was and the dump is kept for the next run" >&2
		exit 1
	fi
	# one RENAME TABLE for every table of the dump: a live one of that name
	# to $old, the staged one in its place. Built by the server itself,
	# which quotes the names; lock_wait_timeout bounds how long it queues
	# behind running queries (and holds new ones back) before giving up.
	if ! sql "$(empty "$old")
SET SESSION group_concat_max_len = 16777216, SESSION lock_wait_timeout = 10;
SET @swap = (SELECT CONCAT('RENAME TABLE ', GROUP_CONCAT(
    IF(l.TABLE_NAME IS NULL, '', CONCAT('\`$db\`.', q, ' TO \`$old\`.', q, ', ')),
    '\`$stage\`.', q, ' TO \`$db\`.', q SEPARATOR ', '))
  FROM (SELECT TABLE_NAME, CONCAT('\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\`') AS q
      FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$stage') s
  LEFT JOIN information_schema.TABLES l
    ON l.TABLE_SCHEMA = '$db' AND BINARY l.TABLE_NAME = BINARY s.TABLE_NAME);
SET @swap = COALESCE(@swap, 'DO 0');
PREPARE swap FROM @swap;
EXECUTE swap;
DEALLOCATE PREPARE swap;"; then
		sql "$(empty "$stage")" || true
		echo "mirror: swapping the tables of $newest into $db failed; $db is left as it was and the dump is kept for the next run" >&2
		exit 1
	fi
	basename -- "$newest" > "$state/imported.tmp"
	mv -f -- "$state/imported.tmp" "$state/imported"
	for f in "$dumps"/dump-*.sql; do
		rm -f -- "$f"
	done
	if ! sql "$(empty "$old")"; then
		echo "mirror: $newest is imported, but the tables it replaced are still in $old (the next import drops them)" >&2
		exit 1
	fi
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
	# the helper databases' grants with _ escaped: in a GRANT it matches
	# any character, and these are the user's alone
	stage_grant=$(printf '%s' "$stage" | sed 's/_/\\_/g')
	old_grant=$(printf '%s' "$old" | sed 's/_/\\_/g')
	# the statements, password included, go to mysql on its stdin
	mysql "$@" <<EOF
CREATE DATABASE IF NOT EXISTS \`$db\`;
CREATE DATABASE IF NOT EXISTS \`$stage\`;
CREATE DATABASE IF NOT EXISTS \`$old\`;
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$quoted';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$quoted';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost';
GRANT ALL PRIVILEGES ON \`$stage_grant\`.* TO '$user'@'localhost';
GRANT ALL PRIVILEGES ON \`$old_grant\`.* TO '$user'@'localhost';
EOF
	;;
ready)
	# a job older scripts lack: on a mirror they set up, the recipe's
	# guard fails with them, and apply runs the database job again
	mysql --defaults-extra-file="$cnf" -e "USE \`$db\`; USE \`$stage\`; USE \`$old\`" > /dev/null 2>&1
	;;
*)
	echo "mirror: unknown job $job (dump, sync, import, database or ready)" >&2
	exit 2
	;;
esac
