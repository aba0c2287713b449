package steps

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// DefaultFstab is where mounts are declared.
const DefaultFstab = "/etc/fstab"

// Fstab keeps exactly one line for a mount point in a node's fstab, equal
// to Line; every other line, comments included, is left as it is.
type Fstab struct {
	NodeName   string
	Path       string // DefaultFstab when empty; tests point it at a temp file
	MountPoint string
	Line       string // the full desired line, see FstabLine
}

var (
	_ Step    = (*Fstab)(nil)
	_ Applier = (*Fstab)(nil)
)

// FstabLine builds the fstab line that mounts export from server on mount
// for a storage type: nfs, sshfs or cifs. Empty options take the type's
// defaults (see MountOptions).
func FstabLine(fsType, server, export, mount, options string) string {
	var source, kind string
	switch fsType {
	case "nfs":
		source, kind = server+":"+export, "nfs"
	case "sshfs":
		if !strings.Contains(server, "@") {
			server = "root@" + server
		}
		source, kind = server+":"+export, "fuse.sshfs"
	case "cifs":
		source, kind = "//"+server+"/"+path.Base(export), "cifs"
	default:
		source, kind = server+":"+export, fsType
	}
	options = MountOptions(fsType, export, options, "")
	return strings.Join([]string{escapeFstab(source), escapeFstab(mount), kind, options, "0", "0"}, " ")
}

// MountOptions are a storage's mount options: options as given, or the
// type's defaults when empty (cifs's name the credentials file
// /etc/shoal/<share>.cred). With credentialsFile (written by a
// Credentials step), the option naming it (credentials= for cifs,
// IdentityFile= for sshfs) replaces any option of that name.
func MountOptions(fsType, export, options, credentialsFile string) string {
	if options == "" {
		switch fsType {
		case "nfs":
			options = "defaults,_netdev"
		case "sshfs":
			options = "defaults,_netdev,allow_other,reconnect,ServerAliveInterval=15,IdentityFile=/root/.ssh/id_ed25519"
		case "cifs":
			options = "credentials=" + CredentialsDir + "/" + path.Base(export) + ".cred,_netdev"
		default:
			options = "defaults"
		}
	}
	name := map[string]string{"cifs": "credentials", "sshfs": "IdentityFile"}[fsType]
	if credentialsFile == "" || name == "" {
		return options
	}
	want := name + "=" + credentialsFile
	var out []string
	for _, o := range strings.Split(options, ",") {
		if k, _, _ := strings.Cut(o, "="); strings.EqualFold(k, name) {
			o, want = want, "" // in place of the first, dropping any other
			if o == "" {
				continue
			}
		}
		out = append(out, o)
	}
	if want != "" {
		out = append(out, want)
	}
	return strings.Join(out, ",")
}

// escapeFstab writes blanks and backslashes in an fstab field as the
// octal escapes fstab(5) reads.
func escapeFstab(s string) string {
	return strings.NewReplacer(`\`, `\134`, " ", `\040`, "\t", `\011`, "\n", `\012`).Replace(s)
}

func (f *Fstab) file() string {
	if f.Path == "" {
		return DefaultFstab
	}
	return f.Path
}

func (f *Fstab) ID() string   { return changeID(f.NodeName, f.Kind(), f.MountPoint) }
func (f *Fstab) Kind() string { return "fstab" }
func (f *Fstab) Node() string { return f.NodeName }

func (f *Fstab) Facts() []NodeFact {
	return []NodeFact{{Node: f.NodeName, Fact: facts.File{Path: f.file()}}}
}

// owns reports whether an fstab line mounts something on f.MountPoint.
func (f *Fstab) owns(line string) bool {
	mp := lineField(line, 1)
	return mp != "" && cleanMountPoint(unescapeFstab(mp)) == cleanMountPoint(f.MountPoint)
}

func (f *Fstab) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	fc, err := facts.ReadFile(ctx, src, f.NodeName, f.file())
	if err != nil {
		return nil, err
	}
	if fc.IsDir {
		return nil, fmt.Errorf("reading %s on %s: it is a directory", f.file(), f.NodeName)
	}
	c := &plan.Change{ID: f.ID(), Node: f.NodeName, Kind: f.Kind(), Target: f.MountPoint}
	result, replaced := setLine(fc.Content, f.owns, f.Line)
	switch {
	case result == fc.Content:
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("%s mounts %s as desired", f.file(), f.MountPoint)
	case len(replaced) == 0:
		c.Action, c.Summary = plan.Create, fmt.Sprintf("add %s to %s", f.MountPoint, f.file())
	case len(replaced) > 1:
		c.Action, c.Summary = plan.Update, fmt.Sprintf("keep one line for %s in %s (%d found)", f.MountPoint, f.file(), len(replaced))
	default:
		c.Action, c.Summary = plan.Update, fmt.Sprintf("replace the line for %s in %s", f.MountPoint, f.file())
	}
	if c.Action != plan.NoOp {
		c.Details = lineDetails(replaced, f.Line)
	}
	return c, nil
}

// Apply reads the file again and writes the edited version atomically,
// so a re-run after any interruption converges.
func (f *Fstab) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	return writeOwnedLine(ctx, h, f.file(), f.owns, f.Line, r)
}

// writeOwnedLine edits one line of a file on h (see setLine), writing it
// atomically with a backup, and only when it changes.
func writeOwnedLine(ctx context.Context, h transport.Host, file string, owns func(string) bool, want string, r Reporter) error {
	fc, err := facts.ReadFile(ctx, facts.NewSet(map[string]transport.Host{h.Name(): h}), h.Name(), file)
	if err != nil {
		return err
	}
	if fc.IsDir {
		return fmt.Errorf("editing %s on %s: it is a directory", file, h.Name())
	}
	result, _ := setLine(fc.Content, owns, want)
	if result == fc.Content {
		return nil
	}
	was := ""
	if fc.Exists {
		was = sha256Hex(fc.Content)
	}
	w := fileWrite{Path: file, Content: result, Was: was}
	if err := h.Run(ctx, transport.Command{Script: w.script()}); err != nil {
		return fmt.Errorf("writing %s on %s: %w", file, h.Name(), err)
	}
	if fc.Exists {
		r.Output(fmt.Sprintf("wrote %s (previous version in %s.shoal.bak)", file, file))
	} else {
		r.Output("wrote " + file)
	}
	return nil
}

func unescapeFstab(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}

func cleanMountPoint(p string) string {
	return path.Clean("/" + p)
}
