#!/usr/bin/env bash
# ui.sh [N] [RUNS] — what the terminal UI costs an apply: the Dolphin job's
# first apply on N web nodes (default 10), RUNS times (default 3) with the
# bubbletea UI in a tmux pane (answering y at the review) and RUNS times
# plain with --yes, each on a fresh lab. Prints the executor's own time
# ("Apply complete: ... in Xs") per run and the medians. Root, like the lab;
# needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
runs=${2:-3}
command -v tmux >/dev/null || { echo "ui.sh needs tmux" >&2; exit 1; }

work=$(mktemp -d /tmp/shoal-ui.XXXXXX)
trap 'bin/shoal lab down --dir "$work/lab" >/dev/null 2>&1 || true; tmux -L shoal-ui kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p bin "$work/cfg"
go build -o bin/shoal ./cmd/shoal
bench/cluster-hcl.sh "$n" >"$work/cfg/cluster.hcl"

fresh_lab() {
	bin/shoal lab down --dir "$work/lab" >/dev/null 2>&1 || true
	bin/shoal lab up --web "$n" --dir "$work/lab" >/dev/null
	ssh -F "$work/lab/ssh_config" web1 sh -s -- /var/www/dolphin <fixtures/dolphin/stage.sh >/dev/null
}

# seconds prints the executor's time from an "Apply complete" line.
seconds() {
	sed -n 's/.*Apply complete: .* in \([0-9.]*\)\(m\{0,1\}s\)\..*/\1 \2/p' | tail -n 1 |
		awk '{ print ($2 == "ms") ? $1 / 1000 : $1 }'
}

plain() {
	fresh_lab
	bin/shoal -F "$work/lab/ssh_config" -C "$work/cfg" apply --yes | seconds
}

ui() {
	fresh_lab
	tmux -L shoal-ui kill-server 2>/dev/null || true
	tmux -L shoal-ui new-session -d -s ui -x 120 -y 40 \
		"bin/shoal -F '$work/lab/ssh_config' -C '$work/cfg' apply; echo EXIT=\$?; sleep 600"
	until tmux -L shoal-ui capture-pane -p -t ui | grep -q 'Apply these changes'; do sleep 0.2; done
	tmux -L shoal-ui send-keys -t ui y
	until tmux -L shoal-ui capture-pane -p -J -S -200 -t ui | grep -q 'EXIT='; do sleep 0.5; done
	tmux -L shoal-ui capture-pane -p -J -S -2000 -t ui | seconds
	tmux -L shoal-ui kill-server
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -a ui_times plain_times
for ((i = 1; i <= runs; i++)); do
	ui_times+=("$(ui)")
	plain_times+=("$(plain)")
	echo "run $i: ui ${ui_times[-1]} s, plain ${plain_times[-1]} s (load $(cut -d' ' -f1 /proc/loadavg))"
done
u=$(printf '%s\n' "${ui_times[@]}" | median)
p=$(printf '%s\n' "${plain_times[@]}" | median)
echo "median of $runs on $n web nodes: ui $u s, plain $p s, ui/plain $(awk -v u="$u" -v p="$p" 'BEGIN { printf "%.3f", u / p }')"
