package steps

import (
	"context"
	"os"
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
	ok := &SiteRoot{NodeName: "web1", Site: "s", Root: dir, Primary: true}
	c, err := ok.Diff(context.Background(), src)
	if err != nil || c.Action != plan.NoOp {
		t.Fatalf("existing root: %v %+v", err, c)
	}
	missing := &SiteRoot{NodeName: "web1", Site: "s", Root: filepath.Join(dir, "nowhere"), Primary: true}
	_, err = missing.Diff(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "web1") || !strings.Contains(err.Error(), "nowhere on the primary web1 is absent") {
		t.Fatalf("missing root: %v", err)
	}
}

// Every node's root is checked: a symlink is refused, naming node, link
// and target, unless the site follows it; a replica may lack its root.
func TestSiteRootRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	failOn(t, os.MkdirAll(filepath.Join(dir, "other"), 0o755))
	failOn(t, os.Symlink(filepath.Join(dir, "other"), filepath.Join(dir, "root")))
	src := facts.NewSet(map[string]transport.Host{"web2": &transport.Local{NodeName: "web2"}})
	for _, tc := range []struct {
		step   SiteRoot
		action plan.Action
		reason string
	}{
		{SiteRoot{Root: filepath.Join(dir, "root")}, plan.Conflict, filepath.Join(dir, "root") + " on web2 is a symlink to " + filepath.Join(dir, "other")},
		{SiteRoot{Root: filepath.Join(dir, "root"), Primary: true}, plan.Conflict, "follow_root_link = true"},
		{SiteRoot{Root: filepath.Join(dir, "root"), FollowLink: true}, plan.NoOp, "followed as the site says"},
		{SiteRoot{Root: filepath.Join(dir, "missing")}, plan.NoOp, "replicate makes it"},
	} {
		s := tc.step
		s.NodeName, s.Site = "web2", "s"
		c, err := s.Diff(context.Background(), src)
		failOn(t, err)
		if c.Action != tc.action || !strings.Contains(c.Reason, tc.reason) {
			t.Errorf("%+v: %s %q, want %s with %q", s, c.Action, c.Reason, tc.action, tc.reason)
		}
	}
}

// On the primary, a declared folder reached through a symlink and a
// cache folder that is one are refused; missing folders are listed.
func TestSiteRootChecksTheDeclaredFolders(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	for _, d := range []string{"media", "modules/boonex", "cachelink-target"} {
		failOn(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	failOn(t, os.Symlink(outside, filepath.Join(root, "modules", "forum")))
	src := facts.NewSet(map[string]transport.Host{"web1": &transport.Local{NodeName: "web1"}})
	s := &SiteRoot{NodeName: "web1", Site: "s", Root: root, Primary: true, Folders: []SiteFolder{
		{"dynamic_dir", "media"}, {"cache_dir", "cache"}, {"local_dir", "modules/boonex/log"}, {"writable", "modules/boonex"},
	}}
	c, err := s.Diff(context.Background(), src)
	failOn(t, err)
	want := []string{"missing on web1: cache_dir cache (replicas mirror the primary: none gets one)",
		"missing on web1: local_dir modules/boonex/log (replicas mirror the primary: none gets one)"}
	if c.Action != plan.NoOp || strings.Join(c.Details, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s %q %q, want a note listing %q", c.Action, c.Reason, c.Details, want)
	}
	failOn(t, os.Symlink(filepath.Join(root, "cachelink-target"), filepath.Join(root, "cache")))
	s.Folders = append(s.Folders, SiteFolder{"writable", "modules/forum/conf"})
	c, err = s.Diff(context.Background(), facts.NewSet(map[string]transport.Host{"web1": &transport.Local{NodeName: "web1"}}))
	failOn(t, err)
	for _, w := range []string{"cache_dir cache is a symlink", "writable modules/forum/conf is reached through the symlink modules/forum -> " + outside} {
		if c.Action != plan.Conflict || !strings.Contains(c.Reason, w) {
			t.Errorf("%s %q, want a conflict saying %q", c.Action, c.Reason, w)
		}
	}
}
