package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// CredentialsDir is where a node keeps the secrets its mounts need.
const CredentialsDir = "/etc/shoal"

// Credentials keeps a secret a mount needs in a file only root can read
// (0600, root:root): cifs's credentials= file, sshfs's IdentityFile. The
// secret never shows in a plan or output, nor on a command line: the plan
// compares SHA-256 sums, apply sends it on stdin. Nothing is written
// through a symlink, and no backup of an old secret is kept.
type Credentials struct {
	NodeName string
	Path     string // CredentialsDir/<storage>.cred or .key
	Content  string
}

var (
	_ Step    = (*Credentials)(nil)
	_ Applier = (*Credentials)(nil)
)

func (s *Credentials) ID() string   { return changeID(s.NodeName, s.Kind(), s.Path) }
func (s *Credentials) Kind() string { return "credentials" }
func (s *Credentials) Node() string { return s.NodeName }

func (s *Credentials) Facts() []NodeFact {
	return []NodeFact{{Node: s.NodeName, Fact: facts.FileSum{Path: s.Path}}}
}

// Sum is the SHA-256 of the content, as the FileSum fact reports a file's.
func (s *Credentials) Sum() string {
	h := sha256.Sum256([]byte(s.Content))
	return hex.EncodeToString(h[:])
}

func (s *Credentials) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Kind: s.Kind(), Target: s.Path}
	info, err := facts.ReadFileSum(ctx, src, s.NodeName, s.Path)
	if err != nil {
		return nil, err
	}
	var wrong []string
	switch info.Kind {
	case "link", "other":
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a %s, not a file: refusing to write a secret through it", s.Path, info.Kind)
		return c, nil
	case "absent":
		c.Action, c.Summary = plan.Create, fmt.Sprintf("write %s (mode 0600, root only)", s.Path)
		return c, nil
	}
	if info.SHA256 != s.Sum() {
		wrong = append(wrong, "its content")
	}
	if info.Mode != "600" {
		wrong = append(wrong, "mode "+info.Mode)
	}
	if info.UID != 0 || info.GID != 0 {
		wrong = append(wrong, fmt.Sprintf("owner %d:%d", info.UID, info.GID))
	}
	if len(wrong) == 0 {
		c.Action, c.Reason = plan.NoOp, s.Path+" holds the credentials, mode 0600, root only"
		return c, nil
	}
	c.Action, c.Summary = plan.Update, fmt.Sprintf("rewrite %s (mode 0600, root only); wrong now: %s", s.Path, strings.Join(wrong, ", "))
	return c, nil
}

// credentialsBody writes stdin to $f: root's, 0600 from the first byte,
// never through a link.
const credentialsBody = `set -e
umask 077
d=$(dirname -- "$f")
mkdir -p -- "$d"
if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then echo "$f is not a plain file: refusing to write a secret through it" >&2; exit 3; fi
tmp=$(mktemp -- "$f.shoal-tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
chown 0:0 -- "$tmp"
chmod 0600 -- "$tmp"
sync -- "$tmp"
mv -f -- "$tmp" "$f"
sync -- "$d"
trap - EXIT
`

// script writes the secret it reads on stdin.
func (s *Credentials) script() string { return shell.Script(credentialsBody, shell.Bind("f", s.Path)) }

// Apply writes the file atomically: a root-only temporary file in the
// same folder, renamed over the old one.
func (s *Credentials) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	if err := h.Run(ctx, transport.Command{Script: s.script(), Stdin: strings.NewReader(s.Content)}); err != nil {
		return fmt.Errorf("writing %s on %s: %w", s.Path, h.Name(), err)
	}
	r.Output("wrote " + s.Path + " (0600)")
	return nil
}
