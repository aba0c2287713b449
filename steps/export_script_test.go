package steps

import "testing"

func TestExportAndCredentialsScriptsGolden(t *testing.T) {
	e := &Export{NodeName: "files", Dir: "/srv/it's nas", Type: "nfs"}
	goldenScript(t, "export", "make-folder", e.dirScript())
	goldenScript(t, "export", "reload", e.reloadScript())
	c := &Credentials{NodeName: "web1", Path: "/etc/shoal/nas.key"}
	goldenScript(t, "credentials", "write", c.script())
}
