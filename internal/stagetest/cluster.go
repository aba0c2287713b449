package stagetest

import (
	"bytes"
	"testing"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// LoadCluster loads the configuration opts names, with the built-in
// recipes and every block kind shoal knows, and fails t on any
// diagnostic, warnings included, printing each with its source.
func LoadCluster(t *testing.T, opts hcl.LoadOptions) *hcl.Config {
	t.Helper()
	l := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(opts)
	if len(diags) > 0 {
		var out bytes.Buffer
		if err := l.WriteDiagnostics(&out, diags, false); err != nil {
			t.Fatalf("loading the cluster: %v (writing them: %v)", diags, err)
		}
		t.Fatalf("loading the cluster:\n%s", out.String())
	}
	return cfg
}

// LoadSite loads the configuration as LoadCluster does and returns its
// site called name, failing t if there is none.
func LoadSite(t *testing.T, opts hcl.LoadOptions, name string) *hcl.Site {
	t.Helper()
	site := LoadCluster(t, opts).Site(name)
	if site == nil {
		t.Fatalf("the cluster has no site %s", name)
	}
	return site
}
