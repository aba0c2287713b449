#!/bin/sh
program=exportfs
reload='exportfs -ra'
command -v "$program" >/dev/null 2>&1 || { echo "$program not found: install the NFS server" >&2; exit 127; }
# shellcheck disable=SC2086 # the reload command is words: program and arguments
$reload
