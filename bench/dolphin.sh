#!/usr/bin/env bash
# dolphin.sh [N...] — the Dolphin job of SPEC.md's Performance section,
# timed side by side for shoal and the hand-written per-node script, on a
# fresh lab per tool and per size (default: 3 and 10 web nodes).
#
# For each N and each tool: `shoal lab up --web N` in a directory of its
# own (timed), stage the Dolphin tree on web1, then time the first run,
# the no-change check and a no-op rerun, each counting SSH connections;
# repeat the no-change check with hyperfine; `shoal lab down`. shoal's
# runs are `apply --yes`, `plan`, `apply --yes`; the hand-written
# script's are bench/handwritten/run.sh three times (it has no plan: its
# no-change run is the check). When ansible-playbook is installed
# (apt-get install ansible-core), bench/ansible/run.sh runs twice, first
# and no-change, on a lab of its own. After the other tools' runs, shoal
# must find nothing to change, which proves they all did the same job.
#
# SSH connections are counted on the lab side: every lab host's sshd logs
# "Accepted publickey ... from <bridge address>" to <labdir>/hosts/<host>.log
# for each session the operator's machine opens (the lab's own sshfs
# mounts come from the hosts' addresses and are not counted).
#
# Root on Debian 12 with the lab's needs (openssh-server, sshfs, iproute2)
# and hyperfine (installed if missing). Builds ./cmd/shoal from this tree.
#
#   sudo bench/dolphin.sh          # N = 3 and 10
#   sudo RUNS=10 bench/dolphin.sh 3
#   sudo ANSIBLE=no bench/dolphin.sh    # skip Ansible even when installed
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

sizes=("$@")
((${#sizes[@]} > 0)) || sizes=(3 10)
runs=${RUNS:-5}

command -v hyperfine >/dev/null || {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
}

work=$(mktemp -d /tmp/shoal-bench.XXXXXX)
shoal=$work/shoal
lab=
cleanup() {
	if [[ -n $lab ]]; then "$shoal" lab down --dir "$lab" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$shoal" ./cmd/shoal
results=$work/results.tsv # size tool metric value

ms() { echo $(($(date +%s%N) / 1000000)); }
load() { cut -d' ' -f1-3 /proc/loadavg; }
record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# accepted LAB: "host count" of sessions each lab host accepted from the
# operator's machine (the bridge address) so far.
accepted() {
	local gw
	gw=$(awk '$1 == "HostName" { sub(/\.[0-9]+$/, ".1", $2); print $2; exit }' "$1/ssh_config")
	for log in "$1"/hosts/*.log; do
		printf '%s %s\n' "$(basename "$log" .log)" "$(grep -c "Accepted publickey for .* from $gw port" "$log" || true)"
	done
}

# connections BEFORE AFTER: the run's sessions per node, as
# "T total, per node min-max" over the nodes it reached.
connections() {
	join <(sort "$1") <(sort "$2") | awk '
		{ d = $3 - $2; if (d > 0) { n++; t += d; if (!min || d < min) min = d; if (d > max) max = d } }
		END { if (n) printf "%d on %d nodes (%d-%d each)", t, n, min, max; else print "none" }'
}

# timed SIZE TOOL METRIC CMD...: run CMD once, record its wall time in ms
# and the SSH connections it opened.
timed() {
	local size=$1 tool=$2 metric=$3 t0 t1
	shift 3
	accepted "$lab" >"$work/before"
	t0=$(ms)
	"$@" >"$work/$tool-$size-$metric.log" 2>&1 || {
		echo "$tool N=$size $metric failed; its output:" >&2
		tail -20 "$work/$tool-$size-$metric.log" >&2
		exit 1
	}
	t1=$(ms)
	accepted "$lab" >"$work/after"
	record "$size" "$tool" "$metric" "$((t1 - t0))"
	record "$size" "$tool" "$metric-ssh" "$(connections "$work/before" "$work/after")"
	printf '  %-16s %6d ms  ssh: %s  (load %s)\n' "$metric" "$((t1 - t0))" "$(connections "$work/before" "$work/after")" "$(load)"
}

# lab_up SIZE TOOL: a fresh lab with N web nodes and the staged tree on web1.
lab_up() {
	lab=$work/lab-$2-$1
	local t0 t1
	t0=$(ms)
	"$shoal" lab up --web "$1" --dir "$lab" >/dev/null
	t1=$(ms)
	record "$1" "$2" "lab-up" "$((t1 - t0))"
	printf '  %-16s %6d ms\n' "lab up" "$((t1 - t0))"
	ssh -F "$lab/ssh_config" web1 sh -s -- /var/www/dolphin <fixtures/dolphin/stage.sh >/dev/null
	export SHOAL_SSH_CONFIG=$lab/ssh_config
}

lab_down() {
	"$shoal" lab down --dir "$lab" >/dev/null
	lab=
}

# repeat SIZE TOOL CMD: hyperfine's mean ± stddev of the no-change check.
repeat() {
	local size=$1 tool=$2
	hyperfine --runs "$runs" --warmup 1 --style none --export-csv "$work/hf.csv" "$3" >/dev/null 2>"$work/hf.err" || {
		cat "$work/hf.err" >&2
		exit 1
	}
	record "$size" "$tool" "repeat" "$(awk -F, 'NR == 2 { printf "%.0f ± %.0f", $2 * 1000, $3 * 1000 }' "$work/hf.csv")"
	printf '  %-16s %s ms (hyperfine, %d runs)\n' "no-change x$runs" "$(awk -F, 'NR == 2 { printf "%.0f ± %.0f", $2 * 1000, $3 * 1000 }' "$work/hf.csv")" "$runs"
}

# check: after another tool's runs, shoal must find nothing to change.
check() {
	if "$shoal" -C "$cfg" plan --detailed-exitcode >"$work/check.log" 2>&1; then
		echo "  shoal plan afterwards: no changes (the same end state as shoal's)"
	else
		echo "  shoal plan afterwards found changes:" && cat "$work/check.log"
	fi
}

for n in "${sizes[@]}"; do
	cfg=$work/config-$n
	mkdir -p "$cfg"
	bench/cluster-hcl.sh "$n" >"$cfg/cluster.hcl"

	echo "== shoal, $n web nodes"
	lab_up "$n" shoal
	timed "$n" shoal first "$shoal" -C "$cfg" apply --yes
	timed "$n" shoal no-change "$shoal" -C "$cfg" plan --detailed-exitcode
	timed "$n" shoal no-op "$shoal" -C "$cfg" apply --yes
	repeat "$n" shoal "$shoal -C $cfg plan --detailed-exitcode"
	lab_down

	echo "== hand-written, $n web nodes"
	lab_up "$n" handwritten
	timed "$n" handwritten first bench/handwritten/run.sh "$lab/ssh_config" "$n"
	timed "$n" handwritten no-change bench/handwritten/run.sh "$lab/ssh_config" "$n"
	timed "$n" handwritten no-op bench/handwritten/run.sh "$lab/ssh_config" "$n"
	repeat "$n" handwritten "$repo/bench/handwritten/run.sh $lab/ssh_config $n"
	check
	lab_down

	if [[ ${ANSIBLE:-yes} != no ]] && command -v ansible-playbook >/dev/null; then
		# One run each: a no-change run takes a minute, too long to repeat.
		echo "== ansible, $n web nodes"
		lab_up "$n" ansible
		timed "$n" ansible first bench/ansible/run.sh "$lab/ssh_config" "$n"
		timed "$n" ansible no-change bench/ansible/run.sh "$lab/ssh_config" "$n"
		check
		lab_down
	fi
done

value() {
	awk -F'\t' -v s="$1" -v t="$2" -v m="$3" '$1 == s && $2 == t && $3 == m { v = $4 } END { print (v == "" ? "-" : v) }' "$results"
}

echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), load after: $(load)"
echo "| N | tool | lab up (ms) | first run (ms) | no-change (ms) | no-op rerun (ms) | no-change x$runs, hyperfine (ms) | SSH sessions: first / no-change |"
echo "|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
	for tool in shoal handwritten ansible; do
		[[ $(value "$n" $tool lab-up) != - ]] || continue
		printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$n" "$tool" \
			"$(value "$n" $tool lab-up)" "$(value "$n" $tool first)" "$(value "$n" $tool no-change)" \
			"$(value "$n" $tool no-op)" "$(value "$n" $tool repeat)" \
			"$(value "$n" $tool first-ssh)" "$(value "$n" $tool no-change-ssh)"
	done
done
