package steps

import "testing"

func TestExportAndCredentialsScriptsGolden(t *testing.T) {
	e := &Export{NodeName: "files", Dir: "/srv/it's nas", Type: "nfs"}
	goldenScript(t, "export", "make-folder", e.dirScript())
	goldenScript(t, "export", "reload", e.reloadScript())
	c := &Credentials{NodeName: "web1", Path: "/etc/shoal/nas.key"}
	goldenScript(t, "credentials", "write", c.script())
}

// The tree steps' scripts, per state.
func TestTreeStepScriptsGolden(t *testing.T) {
	p := &Purge{NodeName: "web2", Root: "/var/www/it's site", Dir: "cache", Keep: []string{"index.html", "[x]"}, Owner: "www-data:www-data"}
	goldenScript(t, "purge", "empty", p.ApplyScript(nil))
	w := &Perms{NodeName: "web1", Root: "/var/www/it's site", Dir: "var/cache", Owner: "www-data", Group: "www-data", Mode: "0775"}
	goldenScript(t, "perms", "tree", w.ApplyScript(nil))
	w = &Perms{NodeName: "web1", Root: "/var/www/it's site", Dir: "media/thumbs", Owner: "www-data", Group: "www-data",
		Shallow: true, Via: "media", ViaTarget: "/mnt/nas/site/media"}
	goldenScript(t, "perms", "on-storage", w.ApplyScript(nil))
}
