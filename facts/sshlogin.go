package facts

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// SSHLogin tries from a node, as the node's root, the login an sshfs
// mount will make: ssh in batch mode (no prompt, as at boot), with the
// options the mount passes to ssh, asking for the SFTP subsystem. It
// tries only while MountPoint is not mounted: a live mount has proven
// the login already, and a plan of converged nodes costs no connection.
type SSHLogin struct {
	MountPoint  string
	Destination string   // "root@files"
	Options     []string // ssh -o options, "IdentityFile=/root/.ssh/id_ed25519"
}

// sshLoginTimeout bounds the attempt (ssh's ConnectTimeout, in seconds).
const sshLoginTimeout = 5

func (f SSHLogin) Key() string {
	return "ssh-login:" + f.MountPoint + " " + f.Destination + " " + strings.Join(f.Options, ",")
}

func (f SSHLogin) Command() string {
	args := []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=" + strconv.Itoa(sshLoginTimeout)}
	for _, o := range f.Options {
		args = append(args, "-o", o)
	}
	return fmt.Sprintf(`if mountpoint -q -- %s 2>/dev/null; then echo mounted; exit 0; fi
command -v sshfs >/dev/null 2>&1 || { echo no-sshfs; exit 0; }
command -v ssh >/dev/null 2>&1 || { echo no-ssh; exit 0; }
e=$(ssh %s -s -- %s sftp </dev/null 2>&1 >/dev/null)
echo "tried $?"
printf '%%s\n' "$e"`, shell.Quote(f.MountPoint), shell.Join(args...), shell.Quote(f.Destination))
}

// LoginProblem is why an SSH login failed, as far as ssh's messages tell.
type LoginProblem int

const (
	LoginOK           LoginProblem = iota
	NoSSHFS                        // sshfs is not installed
	NoSSHClient                    // ssh is not installed
	HostKeyUnknown                 // the server's host key is not in known_hosts
	HostKeyChanged                 // known_hosts holds another key for the server
	IdentityMissing                // the key file to log in with does not exist
	KeyRefused                     // the server did not accept the key
	ServerUnreachable              // name, route, port: no SSH server answered
	LoginFailed                    // anything else; Detail says what
)

// SSHLoginResult is what SSHLogin found.
type SSHLoginResult struct {
	Tried       bool // false: the mount point was mounted, nothing was tried
	Problem     LoginProblem
	Detail      string // ssh's own words: the last line that says what failed
	Fingerprint string // HostKeyChanged: the key the server presented ("SHA256:...")
}

// ReadSSHLogin returns the result of f on node.
func ReadSSHLogin(ctx context.Context, src Source, node string, f SSHLogin) (SSHLoginResult, error) {
	sec, err := src.Get(ctx, node, f)
	if err != nil {
		return SSHLoginResult{}, err
	}
	r, err := ParseSSHLogin(sec)
	if err != nil {
		return SSHLoginResult{}, fmt.Errorf("trying ssh %s from %s: %w", f.Destination, node, err)
	}
	return r, nil
}

var fingerprint = regexp.MustCompile(`SHA256:[A-Za-z0-9+/=]+`)

// ParseSSHLogin reads SSHLogin's output.
func ParseSSHLogin(sec Section) (SSHLoginResult, error) {
	first, stderr, _ := strings.Cut(sec.Output, "\n")
	switch first {
	case "mounted":
		return SSHLoginResult{}, nil
	case "no-sshfs":
		return SSHLoginResult{Tried: true, Problem: NoSSHFS}, nil
	case "no-ssh":
		return SSHLoginResult{Tried: true, Problem: NoSSHClient}, nil
	}
	status, ok := strings.CutPrefix(first, "tried ")
	code, err := strconv.Atoi(status)
	if !ok || err != nil || sec.Status != 0 {
		return SSHLoginResult{}, fmt.Errorf("unexpected output %q (exit %d)", first, sec.Status)
	}
	r := SSHLoginResult{Tried: true, Detail: lastLine(stderr)}
	has := func(s string) bool { return strings.Contains(stderr, s) }
	switch {
	case code == 0:
		r.Problem, r.Detail = LoginOK, ""
	case has("REMOTE HOST IDENTIFICATION HAS CHANGED"), has("Host key for") && has("has changed"):
		r.Problem, r.Fingerprint = HostKeyChanged, fingerprint.FindString(stderr)
	case has("Host key verification failed"), has("host key is known"):
		r.Problem = HostKeyUnknown
	case has("no such identity"), has("not accessible"):
		r.Problem = IdentityMissing
	case has("Permission denied"):
		r.Problem = KeyRefused
	case has("Could not resolve hostname"), has("Connection refused"), has("Connection timed out"),
		has("No route to host"), has("Network is unreachable"), has("Name or service not known"):
		r.Problem = ServerUnreachable
	default:
		r.Problem = LoginFailed
	}
	return r, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
