#!/bin/sh
d='/srv/it'\''s nas'
mkdir -p -- "$d"
