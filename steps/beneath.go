package steps

// beneathCheck defines shoal_beneath, which every script acting inside a
// site root runs first: it refuses a root $R that is a symlink (unless
// $FR is yes: the site follows its root link) and a folder on the way
// from $R to $R/$D that is one, so that nothing is read, chowned, written
// or deleted through a link the site's users could have planted. The one
// link it passes is shoal's own: folder $VIA (relative to $R; empty for
// none) linking to the storage folder $VT. A missing folder ends the
// walk: what the script then makes holds no link.
const beneathCheck = `shoal_beneath() {
	if [ -L "$R" ] && [ "$FR" != yes ]; then
		echo "site root $R is a symlink: refusing to work through it" >&2
		exit 1
	fi
	bp=$R
	case $D in */*) brest=${D%/*} ;; *) brest= ;; esac
	while [ -n "$brest" ]; do
		bp=$bp/${brest%%/*}
		case $brest in */*) brest=${brest#*/} ;; *) brest= ;; esac
		if [ -L "$bp" ] && { [ -z "${VIA:-}" ] || [ "$bp" != "$R/$VIA" ] || [ "$(readlink -- "$bp")" != "$VT" ]; }; then
			echo "$bp is a symlink: refusing to work through it" >&2
			exit 1
		fi
		[ -d "$bp" ] || break
	done
}
`

// yesNo is a shell flag's value.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
