#!/bin/sh
d=/run/shoal.lock
force=false
token=0123abcd
holder='root@laptop pid 42 since 2026-12-01T00:00:00Z'
if [ "$force" = true ]; then rm -rf "$d"; fi
if mkdir "$d" 2>/dev/null; then printf '%s\n' "$token" > "$d/token"; printf '%s\n' "$holder" > "$d/holder"; exit 0; fi
cat "$d/holder" 2>/dev/null || echo unknown
exit 3
