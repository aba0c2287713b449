#!/bin/sh
url=http://blog.example/
host=blog.example
port=80
timeout=5
addrs='10.0.0.11
10.0.0.12'
if ! command -v curl >/dev/null 2>&1; then echo nocurl; exit 0; fi
out=$(mktemp -d) || exit 1
for a in $addrs; do
	(
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$timeout" --connect-to "$host:$port:$a:$port" -- "$url" </dev/null)
		printf '%s %s\n' "$?" "$code" > "$out/$a"
	) &
done
wait
for a in $addrs; do
	printf '%s %s\n' "$a" "$(cat "$out/$a")"
done
rm -rf -- "$out"