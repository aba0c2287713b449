# shellcheck shell=sh disable=SC2034 # used by primary.sh and replica.sh, sent after this file
# dirs.sh — what the Dolphin job knows about the site, written out by hand
# as an operator would after reading recipes/dolphin.hcl and the fixture's
# cluster.hcl. run.sh prepends it to primary.sh and replica.sh, so each
# node gets one script on stdin.

root=/var/www/dolphin
mount=/mnt/nas
store=$mount/community
owner=www-data:www-data
fstab_line='root@files:/srv/nas /mnt/nas fuse.sshfs defaults,_netdev,allow_other,reconnect,ServerAliveInterval=15,IdentityFile=/root/.ssh/id_ed25519 0 0'

# "folder in the tree" "folder on the storage", one pair a line.
dynamic='media media
flash/modules/board/files flash/board/files
flash/modules/chat/files flash/chat/files
flash/modules/photo/files flash/photo/files
flash/modules/im/files flash/im/files
flash/modules/mp3/files flash/mp3/files
flash/modules/video/files flash/video/files
flash/modules/video_comments/files flash/video_comments/files
flash/modules/board/xml flash/board/xml
flash/modules/chat/xml flash/chat/xml
flash/modules/photo/xml flash/photo/xml
flash/modules/im/xml flash/im/xml
flash/modules/mp3/xml flash/mp3/xml
flash/modules/video/xml flash/video/xml
flash/modules/video_comments/xml flash/video_comments/xml
flash/modules/desktop/xml flash/desktop/xml
flash/modules/global/xml flash/global/xml
modules/boonex/avatar/data/images modules/avatar/images
modules/boonex/avatar/data/tmp modules/avatar/tmp
modules/boonex/photos/data/files modules/photos/files
modules/boonex/files/data/files modules/files/files
modules/boonex/profile_customize/data/images modules/profile_customize/images
modules/boonex/forum/data/attachments modules/forum/attachments
modules/boonex/sounds/data/files modules/sounds/files
modules/boonex/videos/data/files modules/videos/files
modules/boonex/site_customize/data/images modules/site_customize/images
modules/boonex/sites/data/images/thumbs modules/sites/thumbs
modules/boonex/smtpmailer/data/attach modules/smtpmailer/attach
modules/acme/gallery/data/files modules/acme/gallery/data/files'

caches='cache
cache_public
tmp
plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/HTML
plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/CSS
plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/Test
plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/URI
modules/boonex/forum/cachejs
modules/acme/gallery/cache'

# Writable folders that stay in the tree (the recipe's media/* and flash
# files/xml ones live on the storage once relocated).
writable='backup cache cache_public langs tmp inc flash/modules/global/data
modules/boonex/desktop/file modules/boonex/forum/classes modules/boonex/forum/conf
modules/boonex/forum/layout modules/boonex/forum/log modules/boonex/forum/js
modules/boonex/forum/cachejs modules/boonex/paypal_payflow/log modules/boonex/profiler/log
modules/boonex/smtpmailer/data/logs'

# fstab: the storage line once, written via temp + rename with a backup;
# then make sure the storage is mounted.
fstab() {
	if ! grep -qxF "$fstab_line" /etc/fstab; then
		cp -p /etc/fstab /etc/fstab.bak
		{ cat /etc/fstab; echo "$fstab_line"; } >/etc/fstab.new
		mv /etc/fstab.new /etc/fstab
		echo "$(hostname): fstab line added"
	fi
	mountpoint -q "$mount" || mount "$mount"
}

# manifest: one hash of the tree minus dynamic and cache folders (path,
# type, size, mode, owner, link target), to tell whether a replica is
# already a copy of the primary.
manifest() {
	prune=
	for d in $(echo "$dynamic" | cut -d' ' -f1) $caches; do
		prune="$prune -path ./$d -prune -o"
	done
	# shellcheck disable=SC2086
	(cd "$root" && find . $prune -printf '%p %y %s %m %u %l\n') | sort | md5sum | cut -d' ' -f1
}

# perms: the site owner on writable folders, not following links.
perms() {
	for d in $writable; do
		[ -d "$root/$d" ] && [ ! -L "$root/$d" ] && chown -R -P -h "$owner" "$root/$d"
	done
	true
}
