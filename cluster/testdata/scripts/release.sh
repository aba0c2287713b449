#!/bin/sh
d=/run/shoal.lock
token=0123abcd
if [ "$(cat "$d/token" 2>/dev/null)" = "$token" ]; then rm -rf "$d"; fi
