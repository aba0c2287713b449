#!/usr/bin/env bash
# Runs every test shoal has, end-to-end ones included, on a fresh Debian
# machine as root: installs what the tests need, checks formatting, vet and
# staticcheck (a tool pinned in go.mod), then `go test ./...`. CI runs this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=(openssh-server openssh-client netbase sshfs fuse3 iproute2 tmux tar coreutils findutils util-linux shellcheck rsync python3 nginx curl
	mariadb-server mariadb-client memcached php8.2-fpm python3-yaml bind9 bind9-dnsutils)
# WordPress's end-to-end test: Debian's WordPress on php-fpm, with XML-RPC
# (php-xml)
need_pkgs+=(wordpress php8.2-mysql php8.2-xml)
missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "== installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== gofmt"
mapfile -t gofiles < <(git ls-files '*.go' 2>/dev/null || find . -name '*.go')
unformatted=$(gofmt -l "${gofiles[@]}")
if [ -n "$unformatted" ]; then
	echo "not gofmt'ed:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...
echo "== staticcheck"
go tool staticcheck ./...
echo "== shellcheck (every step's script goldens)"
# SC2034: a step binds all its values ahead of a constant body; a state
# may use only some of them.
find steps/testdata cluster/testdata -name '*.sh' -print0 | xargs -0 shellcheck -s sh -S warning -e SC2034
echo "== shellcheck (the scripts recipes install)"
find recipes -name '*.sh' -print0 | xargs -0 -r shellcheck -s sh
echo "== go test"
go test -count=1 -timeout 20m "$@" ./...
# Benchmarks are where speed is measured (bench/README.md): each runs once
# here so that one left broken by a change fails the build, not a later
# measurement. Their figures are not compared.
echo "== benchmarks, once each"
mapfile -t pkgs < <(go list ./... | grep -v /e2e)
if ! out=$(go test -count=1 -run '^$' -bench . -benchtime=1x "${pkgs[@]}" 2>&1); then
	echo "$out"
	exit 1
fi
