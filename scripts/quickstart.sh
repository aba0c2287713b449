#!/usr/bin/env bash
# The Dolphin job end to end on a throwaway local lab: bring up a file
# server and 3 web hosts running real OpenSSH, stage a realistic Dolphin
# tree with user content on web1, apply fixtures/dolphin, then show that a
# second plan has no changes. Linux, as root. `shoal lab down` cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."


for p in openssh-server openssh-client sshfs fuse3 iproute2; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server openssh-client sshfs fuse3 iproute2 >/dev/null
		break
	}
done

mkdir -p bin
go build -o bin/shoal ./cmd/shoal
shoal=$PWD/bin/shoal
lab=/run/shoal-lab

"$shoal" lab down >/dev/null 2>&1 || true
"$shoal" lab up --web 3
export SHOAL_SSH_CONFIG=$lab/ssh_config

echo "== staging a Dolphin tree with user content on web1"
ssh -F "$SHOAL_SSH_CONFIG" web1 sh -s -- /var/www/dolphin < fixtures/dolphin/stage.sh

echo "== shoal plan"
"$shoal" -C fixtures/dolphin plan || true
echo "== shoal apply --yes"
time "$shoal" -C fixtures/dolphin apply --yes
echo "== shoal plan --detailed-exitcode (0: no changes)"
"$shoal" -C fixtures/dolphin plan --detailed-exitcode
echo "no changes: the cluster matches the configuration. Try: ssh -F $SHOAL_SSH_CONFIG web2 ls -l /var/www/dolphin"
echo "clean up with: $shoal lab down"
