#!/usr/bin/env bash
# run.sh SSH_CONFIG N — the Dolphin job with ansible-playbook (Debian's
# ansible-core, pipelining on) against the lab's web1..webN.
set -euo pipefail

cfg=${1:?usage: run.sh SSH_CONFIG N}
n=${2:?usage: run.sh SSH_CONFIG N}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

hosts=
for ((i = 1; i <= n; i++)); do hosts+="web$i,"; done
export ANSIBLE_CONFIG=$here/ansible.cfg
export ANSIBLE_SSH_ARGS="-F $cfg -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$work/cp-%C"
ansible-playbook -i "$hosts" -e "work=$work" "$here/dolphin.yml"
