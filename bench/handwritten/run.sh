#!/usr/bin/env bash
# run.sh SSH_CONFIG N — the Dolphin job done by hand, the baseline SPEC.md
# names: one `ssh host sh -s` script per node, nodes side by side.
#
#  1. web1: fstab, relocate the dynamic folders (mv + ln -s), print a
#     manifest of the tree minus dynamic and cache folders;
#  2. web2..webN at once: fstab, links, empty caches, compare manifests;
#  3. only if some replica differs: `tar c` on web1 once, tee'd into
#     `tar x` on each replica that differs.
#
# A no-change run opens one SSH connection per node; a run that copies
# opens a second one to web1 and to each replica it copies to.
set -euo pipefail

cfg=${1:?usage: run.sh SSH_CONFIG N}
n=${2:?usage: run.sh SSH_CONFIG N}
here=$(cd "$(dirname "$0")" && pwd)
root=/var/www/dolphin # as in dirs.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

on() { ssh -F "$cfg" -o BatchMode=yes "$@"; }

cat "$here/dirs.sh" "$here/primary.sh" | on web1 sh -s >"$work/web1.out"
manifest=$(sed -n 's/^manifest //p' "$work/web1.out")
[ -n "$manifest" ] || { echo "web1: no manifest in its output" >&2; exit 1; }

pids=()
for ((i = 2; i <= n; i++)); do
	cat "$here/dirs.sh" "$here/replica.sh" | on "web$i" sh -s -- "$manifest" >"$work/web$i.out" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

copy=()
for ((i = 2; i <= n; i++)); do
	grep -qx copy "$work/web$i.out" && copy+=("web$i")
done
if ((${#copy[@]} > 0)); then
	fifos=()
	pids=()
	for h in "${copy[@]}"; do
		mkfifo "$work/$h.tar"
		on "$h" "mkdir -p $root && tar -x -f - -C $root" <"$work/$h.tar" &
		pids+=($!)
		fifos+=("$work/$h.tar")
	done
	cat "$here/dirs.sh" "$here/primary.sh" | on web1 sh -s -- tar | tee "${fifos[@]}" >/dev/null
	for p in "${pids[@]}"; do wait "$p"; done
fi
cat "$work"/*.out | grep -v '^manifest \|^copy$' || true
echo "hand-written: ${#copy[@]} replicas copied, $n nodes"
