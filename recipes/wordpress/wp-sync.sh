#!/bin/sh
# wp-sync: the jobs of a WordPress master and its slaves, installed by
# shoal's wordpress recipe (recipes/wordpress/wp-sync.sh).
#
#   wp-sync CONF dump      on the master: dump the database, complete or not at all
#   wp-sync CONF sync      on a slave: pull the master's files and newest dump, import it
#   wp-sync CONF database  on a slave: create the database and its user
#   wp-sync CONF reaches   exit 0 when the site's user reaches its database
#   wp-sync CONF replicate on a slave (database=replication): load the
#                          master's dump and replicate from its position
#   wp-sync CONF replicating  exit 0 when this slave replicates
#
# Every change happens on the master and is copied one way: a slave pulls
# the site's files (rsync --delete, so what was changed on a slave by hand
# is undone), and the master's dump when it differs from the last one
# imported, over SSH with keys the master accepts only for rrsync -ro (a
# slave can read the master, never change it). A sync that changed
# anything empties the slave's caches.
#
# With database=replication the slaves' databases follow the master's
# through MariaDB's replication instead: a sync pulls files only, and the
# master's dumps (root's, with the replication position) seed new slaves
# and serve snapshots.
#
# CONF holds key=value lines, read and never run as shell: root, state,
# db, mysql_cnf, dump_dir, master, files_rsh, dump_rsh, database (dump or
# replication), master_host and replication_cnf (replication), and any
# number of exclude= (rsync patterns left out of the files pull) and
# cache= (folders emptied after a sync that changed something). The
# database logins are only in the 0600 option files mysql_cnf and
# replication_cnf; no command line here carries them. Output only on
# failure (cron mails it).
set -eu
umask 077

if [ $# -ne 2 ]; then
	echo "usage: wp-sync CONF dump|sync|database|reaches|replicate|replicating" >&2
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
		echo "wp-sync: $conf sets no $1" >&2
		exit 2
	fi
	printf '%s\n' "$v"
}

root=$(need root)
state=$(need state)
db=$(need db)
case $db in *[!A-Za-z0-9_]*)
	echo "wp-sync: database $db: letters, digits and _ only" >&2
	exit 2
	;;
esac
cnf=$(need mysql_cnf)
dumps=$(need dump_dir)
mode=$(get database)
if [ -z "$mode" ]; then mode=dump; fi
mkdir -p -- "$state"

# pull_dump: the master's newest dump into $state/incoming.
pull_dump() {
	master=$(need master)
	dump_rsh=$(need dump_rsh)
	mkdir -p -- "$state/incoming"
	rsync -a -e "$dump_rsh" "$master:./$db.sql" "$state/incoming/" </dev/null
	if ! tail -n 1 -- "$state/incoming/$db.sql" | grep -q '^-- Dump completed'; then
		echo "wp-sync: the master's dump of $db is not complete: not loading it" >&2
		exit 1
	fi
}

# replicating: this server's replication runs, both threads.
replicating() {
	status=$(mysql -e 'SHOW SLAVE STATUS\G' 2>/dev/null) || return 1
	printf '%s\n' "$status" | grep -q 'Slave_IO_Running: Yes' &&
		printf '%s\n' "$status" | grep -q 'Slave_SQL_Running: Yes'
}

# The site root is never a symlink, and nothing this script writes or
# deletes under it lies behind one (the site's users may plant them).
# Its variables are global (POSIX sh has no local): names of their own.
no_link() { # no_link REL: no component of root/REL is a symlink
	nl_path=$root
	[ ! -L "$nl_path" ] || return 1
	saved_ifs=$IFS
	IFS=/
	set -f
	for nl_part in $1; do
		nl_path=$nl_path/$nl_part
		if [ -L "$nl_path" ]; then
			IFS=$saved_ifs
			set +f
			return 1
		fi
	done
	IFS=$saved_ifs
	set +f
}

case $job in
dump)
	mkdir -p -- "$dumps"
	tmp=$dumps/.$db.sql.partial
	rm -f -- "$tmp"
	# for replication, root's dump with the position a new slave starts from
	if [ "$mode" = replication ]; then
		set -- --master-data=2 --gtid
	else
		set -- --defaults-extra-file="$cnf"
	fi
	if ! mysqldump "$@" --single-transaction --quick --hex-blob --no-tablespaces --skip-dump-date "$db" > "$tmp"; then
		rm -f -- "$tmp"
		echo "wp-sync: mysqldump of $db failed; the slaves keep the previous dump" >&2
		exit 1
	fi
	if ! tail -n 1 -- "$tmp" | grep -q '^-- Dump completed'; then
		rm -f -- "$tmp"
		echo "wp-sync: the dump of $db did not complete; the slaves keep the previous dump" >&2
		exit 1
	fi
	# without its date, an unchanged database dumps to the same bytes:
	# the slaves then have nothing to pull and import
	if cmp -s -- "$tmp" "$dumps/$db.sql"; then
		rm -f -- "$tmp"
	else
		sync -- "$tmp"
		mv -f -- "$tmp" "$dumps/$db.sql"
	fi
	# which kind of dump the folder holds (a mode's first dump is made
	# during apply)
	touch -- "$state/dumped-$mode"
	;;
sync)
	if [ -L "$root" ] || [ ! -d "$root" ]; then
		echo "wp-sync: $root is not a folder (or is a symlink)" >&2
		exit 1
	fi
	master=$(need master)
	files_rsh=$(need files_rsh)
	# the files, but each node's own and the master's caches; shoal's
	# in-flight files (a line edit's temporary copy) are neither pulled
	# nor deleted
	set -- "--exclude=*.shoal-tmp.*"
	while IFS= read -r x; do
		[ -z "$x" ] || set -- "$@" "--exclude=$x"
	done <<EOF
$(all exclude)
EOF
	changes=$(rsync -a --delete --itemize-changes -e "$files_rsh" "$@" "$master:./" "$root/" </dev/null)
	# the newest dump, imported when it is not the one imported last; a
	# replicating slave's database follows the master by itself
	imported=
	new=
	if [ "$mode" != replication ]; then
		pull_dump
		new=$(sha256sum < "$state/incoming/$db.sql" | cut -d ' ' -f 1)
	fi
	last=$(cat -- "$state/imported" 2>/dev/null || true)
	if [ -n "$new" ] && [ "$new" != "$last" ]; then
		if ! mysql --defaults-extra-file="$cnf" "$db" < "$state/incoming/$db.sql"; then
			echo "wp-sync: importing the master's dump into $db failed; the next sync tries again" >&2
			exit 1
		fi
		printf '%s\n' "$new" > "$state/imported.tmp"
		mv -f -- "$state/imported.tmp" "$state/imported"
		imported=yes
	fi
	# pages cached before the sync show the old site
	if [ -n "$changes" ] || [ -n "$imported" ]; then
		while IFS= read -r c; do
			[ -n "$c" ] || continue
			if ! no_link "$c"; then
				echo "wp-sync: $root/$c leads through a symlink: not emptying it" >&2
				continue
			fi
			if [ -d "$root/$c" ]; then
				find "$root/$c" -mindepth 1 -maxdepth 1 ! -name '.*' -exec rm -rf -- {} +
			fi
		done <<EOF
$(all cache)
EOF
	fi
	date -u +%Y-%m-%dT%H:%M:%SZ > "$state/synced.tmp"
	mv -f -- "$state/synced.tmp" "$state/synced"
	;;
database)
	user=$(my_print_defaults --defaults-extra-file="$cnf" client | sed -n 's/^--user=//p' | tail -n 1)
	password=$(my_print_defaults --defaults-extra-file="$cnf" client | sed -n 's/^--password=//p' | tail -n 1)
	if [ -z "$user" ] || [ -z "$password" ]; then
		echo "wp-sync: $cnf gives no user and password" >&2
		exit 2
	fi
	case $user in *[!A-Za-z0-9_]*)
		echo "wp-sync: user $user: letters, digits and _ only" >&2
		exit 2
		;;
	esac
	quoted=$(printf '%s' "$password" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")
	# the statements, password included, go to mysql on its stdin; root
	# logs in through the server's socket
	mysql <<EOF
CREATE DATABASE IF NOT EXISTS \`$db\`;
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$quoted';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$quoted';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost';
EOF
	;;
reaches)
	mysql --defaults-extra-file="$cnf" -e 'SELECT 1' "$db" > /dev/null 2>&1
	;;
replicate)
	if replicating; then
		exit 0
	fi
	host=$(need master_host)
	rcnf=$(need replication_cnf)
	user=$(my_print_defaults --defaults-extra-file="$rcnf" client | sed -n 's/^--user=//p' | tail -n 1)
	password=$(my_print_defaults --defaults-extra-file="$rcnf" client | sed -n 's/^--password=//p' | tail -n 1)
	case $user in "" | *[!A-Za-z0-9_]*)
		echo "wp-sync: $rcnf gives no replication user of letters, digits and _" >&2
		exit 2
		;;
	esac
	case $host in "" | *[!A-Za-z0-9.:-]*)
		echo "wp-sync: master_host $host: an address or a host name" >&2
		exit 2
		;;
	esac
	pull_dump
	# the position may be empty: a binary log with nothing in it yet
	if ! grep -q "^-- SET GLOBAL gtid_slave_pos='[0-9,-]*';\$" "$state/incoming/$db.sql"; then
		echo "wp-sync: the master's dump of $db records no replication position (is the master's database = replication, its binary log on?)" >&2
		exit 1
	fi
	pos=$(sed -n "s/^-- SET GLOBAL gtid_slave_pos='\([0-9,-]*\)';\$/\1/p" "$state/incoming/$db.sql" | head -n 1)
	quoted=$(printf '%s' "$password" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")
	mysql -e 'STOP SLAVE' || true
	mysql "$db" < "$state/incoming/$db.sql"
	# the statements, password included, go to mysql on its stdin
	mysql <<EOF
SET GLOBAL gtid_slave_pos = '$pos';
CHANGE MASTER TO MASTER_HOST = '$host', MASTER_USER = '$user', MASTER_PASSWORD = '$quoted', MASTER_USE_GTID = slave_pos;
START SLAVE;
EOF
	i=0
	until replicating; do
		i=$((i + 1))
		if [ "$i" -ge 60 ]; then
			echo "wp-sync: replication from $host does not run after 30s:" >&2
			mysql -e 'SHOW SLAVE STATUS\G' | grep -E 'Running|Error' >&2
			exit 1
		fi
		sleep 0.5
	done
	;;
replicating)
	replicating
	;;
*)
	echo "wp-sync: unknown job $job (dump, sync, database, reaches, replicate or replicating)" >&2
	exit 2
	;;
esac
