package steps

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func TestSiteRootMustBeAFolderOnThePrimary(t *testing.T) {
	dir := t.TempDir()
	src := facts.NewSet(map[string]transport.Host{"web1": &transport.Local{NodeName: "web1"}})
	ok := &SiteRoot{NodeName: "web1", Site: "s", Root: dir}
	c, err := ok.Diff(context.Background(), src)
	if err != nil || c.Action != plan.NoOp {
		t.Fatalf("existing root: %v %+v", err, c)
	}
	missing := &SiteRoot{NodeName: "web1", Site: "s", Root: filepath.Join(dir, "nowhere")}
	_, err = missing.Diff(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "web1") || !strings.Contains(err.Error(), "nowhere on the primary web1 is absent") {
		t.Fatalf("missing root: %v", err)
	}
}
