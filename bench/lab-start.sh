#!/bin/sh
# How long a lab takes to start and stop: `shoal lab up` + `shoal lab down`
# for 3 and 10 web hosts, with sshfs and bind storage. Needs root, sshd,
# sshfs, iproute2; uses hyperfine when installed, else a simple loop.
#
#   sudo bench/lab-start.sh                # builds ./cmd/shoal
#   sudo SHOAL=/path/to/shoal RUNS=10 bench/lab-start.sh
set -eu

cd "$(dirname "$0")/.."
runs=${RUNS:-5}
dir=$(mktemp -d /tmp/shoal-lab-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
shoal=${SHOAL:-}
if [ -z "$shoal" ]; then
	shoal=$dir/shoal
	go build -o "$shoal" ./cmd/shoal
fi
lab=$dir/lab

# one_run prints the wall time of one up+down in milliseconds.
one_run() {
	t0=$(date +%s%N)
	"$shoal" lab up --web "$1" --storage "$2" --dir "$lab" >/dev/null
	t1=$(date +%s%N)
	"$shoal" lab down --dir "$lab" >/dev/null
	t2=$(date +%s%N)
	echo "up $(( (t1 - t0) / 1000000 )) ms, down $(( (t2 - t1) / 1000000 )) ms"
}

for storage in sshfs bind; do
	for web in 3 10; do
		if command -v hyperfine >/dev/null; then
			hyperfine --runs "$runs" --warmup 1 \
				--prepare "$shoal lab down --dir $lab" \
				-n "up+down web=$web storage=$storage" \
				"$shoal lab up --web $web --storage $storage --dir $lab && $shoal lab down --dir $lab"
		fi
		echo "web=$web storage=$storage:"
		i=0
		while [ "$i" -lt "$runs" ]; do
			echo "  $(one_run "$web" "$storage")"
			i=$((i + 1))
		done
	done
done
