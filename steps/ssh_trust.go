package steps

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"path"
	"regexp"
	"strconv"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/crypto/ssh"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// ssh_trust: `ssh_trust "assets" { on = "replicas", to = "primary",
// rrsync = "/var/www/ee/assets" }` lets each node `on` names (a client)
// log in to the node `to` names (the server) with a key of its own,
// restricted to one command: a read-only rsync of one folder (rrsync
// -ro), the SFTP subsystem (sftp = true, for an sshfs mount), or a given
// command. The client gets the key, generated there (ssh-keygen -t
// ed25519, never overwritten), and the server's host key in root's
// known_hosts under the address it connects to, so its first ssh never
// prompts; the server's authorized_keys (of user) gets one line per
// client, `restrict,[from="<client>",]command="…" <key> shoal:<site>/<name>/<client>`.
// Callers name the key themselves (ssh -i <key>); no ~/.ssh/config entry
// is written.
var _ = register(&Kind{
	Type:      "ssh_trust",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "to", Type: cty.String, Required: true},
		{Name: "user", Type: cty.String},
		{Name: "rrsync", Type: cty.String},
		{Name: "command", Type: cty.String},
		{Name: "sftp", Type: cty.Bool},
		{Name: "key", Type: cty.String},
		{Name: "from", Type: cty.List(cty.String)},
		{Name: "address", Type: cty.String},
	},
	IsStep:    true,
	DefaultOn: "replicas",
	Validate:  validateSSHTrust,
	DefaultsOf: func(*block.Decl) map[string]cty.Value {
		return map[string]cty.Value{"user": cty.StringVal("root")}
	},
	Compile: compileSSHTrust,
})

var (
	// hostName is an address ssh_trust records in known_hosts and puts in
	// from=: a DNS name (or an IP address, checked with net.ParseIP).
	hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
	// nodeWord is a node or role name, or primary, replicas, all.
	nodeWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// fromPattern is one entry of from=: an address, a CIDR, a name or a
	// pattern of them (sshd's PATTERNS), negated with '!'.
	fromPattern = regexp.MustCompile(`^!?[A-Za-z0-9.:*?/_-]+$`)
)

// sshTrustArgs are every argument; none may hold a secret, since each
// is shown in plans or written where other users can read it.
var sshTrustArgs = []string{"to", "user", "rrsync", "command", "sftp", "key", "from", "address"}

func validateSSHTrust(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	bad := func(arg, summary, format string, args ...any) {
		diags = append(diags, d.Error(arg, summary, "%s: %s: "+format, append([]any{d.Owner, d.Describe()}, args...)...))
	}
	for _, a := range sshTrustArgs {
		if d.Sensitive(a) {
			bad(a, "Sensitive value in ssh_trust", "%s holds a sensitive value; an ssh_trust holds none (its arguments are shown in plans and written into authorized_keys).", a)
		}
	}
	// Exactly one of rrsync, command and sftp = true. An sftp whose value
	// is not known yet counts as set.
	var modes []string
	for _, a := range []string{"rrsync", "command"} {
		if d.Has(a) {
			modes = append(modes, a)
		}
	}
	if d.Has("sftp") && (!d.Known("sftp") || d.Bool("sftp")) {
		modes = append(modes, "sftp")
	}
	switch {
	case len(modes) == 0:
		bad("", "What may the key run?", "say what the key may do: rrsync = \"<dir>\" (read-only rsync of one folder), sftp = true (the SFTP subsystem, for sshfs), or command = \"...\" (one forced command).")
	case len(modes) > 1:
		bad(modes[1], "One command per key", "%s and %s are both set; a key runs exactly one of rrsync, command and sftp = true.", modes[0], modes[1])
	}
	if d.Known("to") && !nodeWord.MatchString(d.String("to")) {
		bad("to", "Invalid to", "to is \"primary\", a role or a node name: the one node the key logs in to.")
	}
	if d.Known("user") && !accountName.MatchString(d.String("user")) {
		bad("user", "Invalid user", "%q is not a user name.", d.String("user"))
	}
	if d.Known("rrsync") {
		if dir := d.String("rrsync"); !strings.HasPrefix(dir, "/") || block.HasControl(dir) || strings.Contains(dir+"/", "/../") {
			bad("rrsync", "Invalid rrsync folder", "rrsync %q must be an absolute path on the server without \"..\" (\"/var/www/ee/assets\"): the one folder the key may read.", dir)
		}
	}
	if d.Known("command") {
		if c := d.String("command"); strings.TrimSpace(c) == "" || block.HasControl(c) {
			bad("command", "Invalid command", "the forced command is one line of shell.")
		}
	}
	if d.Known("key") {
		k := d.String("key")
		if !strings.HasPrefix(k, "/") || block.HasControl(k) || path.Clean(k) != k || k == "/" || strings.HasSuffix(k, ".pub") {
			bad("key", "Invalid key", "key %q must be an absolute path on the client, such as \"/root/.ssh/shoal-mirror\" (its public half goes to <key>.pub).", k)
		}
	}
	for _, p := range d.Strings("from") {
		if !fromPattern.MatchString(p) {
			bad("from", "Invalid from", "from %q is not an address, CIDR or host pattern as sshd's from= takes them.", p)
		}
	}
	if d.Known("address") && !knownHostsName(d.String("address")) {
		bad("address", "Invalid address", "address %q must be an IP address or a host name: what the client connects to.", d.String("address"))
	}
	if d.Known("sftp") && d.Bool("sftp") && (!d.Has("user") || d.Known("user") && d.String("user") == "root") {
		diags = append(diags, d.Warning("sftp", "SFTP as root", "%s: %s: SFTP as root lets each client read and write every file of the server (its authorized_keys too), which is as much as a shell. Prefer a user that owns only the shared folder (user = \"...\").", d.Owner, d.Describe()))
	}
	return diags
}

// knownHostsName reports whether a client may record addr in known_hosts
// and give it to ssh: an IP address or a host name, no pattern.
func knownHostsName(addr string) bool {
	return net.ParseIP(addr) != nil || hostName.MatchString(addr)
}

func compileSSHTrust(u *Unit) ([]Entry, hashicl.Diagnostics) {
	return u.Each(func(client string, d *block.Decl) (Step, hashicl.Diagnostics) {
		to := d.String("to")
		servers := u.Select(to)
		fail := func(arg, summary, format string, args ...any) (Step, hashicl.Diagnostics) {
			return nil, hashicl.Diagnostics{d.Error(arg, summary, "%s: %s: "+format, append([]any{d.Owner, d.Describe()}, args...)...)}
		}
		switch {
		case len(servers) == 0:
			return fail("to", "No node to trust", "to = %q names no node.", to)
		case len(servers) > 1:
			return fail("to", "Several servers", "to = %q names %d nodes (%s); a trust logs in to one server: name it.", to, len(servers), strings.Join(servers, ", "))
		case servers[0] == client:
			return fail("to", "A node trusting itself", "%s would log in to itself (to = %q); leave it out of on.", client, to)
		}
		server := servers[0]
		t := &SSHTrust{
			Site: u.Site.Name, Name: d.Label, Client: client, Server: server,
			Address: d.String("address"), User: d.String("user"), Key: d.String("key"),
		}
		if t.Address == "" {
			t.Address = u.Address(server)
			if !knownHostsName(t.Address) {
				return fail("to", "Server address unusable", "%s address %q is not an IP address or host name the client could record in known_hosts; set the node's address, or this block's address.", possessive(server), t.Address)
			}
		}
		if t.User == "" {
			t.User = "root"
		}
		if t.Key == "" {
			t.Key = "/root/.ssh/shoal-" + u.Site.Name + "-" + d.Label
		}
		switch {
		case d.Has("rrsync"):
			dir := path.Clean(d.String("rrsync"))
			t.Command, t.Purpose, t.RRsync = shell.Join("rrsync", "-ro", dir), "rrsync -ro "+dir, dir
		case d.Has("command"):
			t.Command, t.Purpose = d.String("command"), "command "+d.String("command")
		default:
			t.Command, t.Purpose, t.SFTP = "internal-sftp", "SFTP only", true
		}
		if d.Has("from") {
			t.From = d.Strings("from")
		} else if addr := u.Address(client); net.ParseIP(addr) != nil {
			t.From = []string{addr}
		}
		return t, nil
	})
}

// SSHTrust is one client's key authorized on the server for one command.
// The change is the client's; it writes on both nodes (HostsApplier).
type SSHTrust struct {
	Site, Name string // the block: site "ee", ssh_trust "assets"
	Client     string // the node that connects
	Server     string // the node it logs in to
	Address    string // how the client reaches the server: what known_hosts records
	User       string // who the client logs in as on the server
	Key        string // the private key's path on the client
	Command    string // the forced command, as sshd runs it
	Purpose    string // what the plan says the key is for: "rrsync -ro /x"
	RRsync     string // the folder Command lets rrsync read, or ""
	SFTP       bool   // Command is internal-sftp
	From       []string
}

var (
	_ Step         = (*SSHTrust)(nil)
	_ HostsApplier = (*SSHTrust)(nil)
)

func (t *SSHTrust) ID() string   { return changeID(t.Client, t.Kind(), t.Key) }
func (t *SSHTrust) Kind() string { return "ssh_trust" }
func (t *SSHTrust) Node() string { return t.Client }

// tag ends the server's line for this client: lines shoal did not write
// never end with it.
func (t *SSHTrust) tag() string { return "shoal:" + t.Site + "/" + t.Name + "/" + t.Client }

// hostTag ends the client's known_hosts line for this trust.
func (t *SSHTrust) hostTag() string { return "shoal:" + t.Site + "/" + t.Name }

func (t *SSHTrust) clientFact() trustClientFact {
	return trustClientFact{KeyPath: t.Key, Tag: t.hostTag()}
}

func (t *SSHTrust) serverFact() trustServerFact {
	return trustServerFact{User: t.User, TagPrefix: "shoal:" + t.Site + "/" + t.Name + "/"}
}

func (t *SSHTrust) Facts() []NodeFact {
	return []NodeFact{{t.Client, t.clientFact()}, {t.Server, t.serverFact()}}
}

// authorizedLine is the server's line for the client's public key
// ("ssh-ed25519 AAAA…").
func (t *SSHTrust) authorizedLine(pub string) string {
	opts := "restrict"
	if len(t.From) > 0 {
		opts += `,from="` + strings.Join(t.From, ",") + `"`
	}
	// sshd's options unescape \" only; the command reaches the user's
	// shell as written.
	opts += `,command="` + strings.ReplaceAll(t.Command, `"`, `\"`) + `"`
	return opts + " " + pub + " " + t.tag()
}

// hostLine is the client's known_hosts line for the server's host key,
// its name hashed with salt as OpenSSH's HashKnownHosts does.
func (t *SSHTrust) hostLine(hostKey string, salt []byte) string {
	return hashHost(salt, strings.ToLower(t.Address)) + " " + hostKey + " " + t.hostTag()
}

// hashHost is a known_hosts name hashed as OpenSSH hashes it:
// |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
func hashHost(salt []byte, name string) string {
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(name))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// sshTrustPayload is what apply needs beyond the step: the decision and
// what it rests on, which apply checks again on the nodes.
type sshTrustPayload struct {
	// Generate: the plan found no key, and apply makes one; a key found
	// there at apply time was not planned for, and is refused.
	Generate bool `json:"generate"`
	// Key is the client's public key the plan saw ("type base64"), which
	// the key must still be.
	Key string `json:"key,omitempty"`
	// HostKey is the server's host key the plan saw, which the server
	// must still present and the client records.
	HostKey string `json:"host_key"`
	// Record: the client's known_hosts lacks it.
	Record bool `json:"record"`
}

func (t *SSHTrust) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: t.ID(), Node: t.Client, Site: t.Site, Kind: t.Kind(), Target: t.Key}
	cl, err := readTrustClient(ctx, src, t.Client, t.clientFact())
	if err != nil {
		return nil, err
	}
	sv, err := readTrustServer(ctx, src, t.Server, t.serverFact())
	if err != nil {
		return nil, err
	}
	if problem := t.problem(cl, sv); problem != "" {
		c.Action, c.Reason = plan.Conflict, problem
		return c, nil
	}
	authorized := cl.pub != "" && len(sv.linesTagged(t.tag())) == 1 && sv.linesTagged(t.tag())[0] == t.authorizedLine(cl.pub)
	recorded := cl.records(t.Address, sv.hostKey)
	if authorized && recorded {
		c.Action = plan.NoOp
		c.Reason = fmt.Sprintf("%s key %s is authorized on %s as %s for %s; %s host key is recorded", possessive(t.Client), t.Key, t.Server, t.User, t.Purpose, possessive(t.Server))
		return c, nil
	}

	var todo []string
	c.Action = plan.Update
	newLine := "<the new key>"
	if cl.pub == "" {
		c.Action = plan.Create
		todo = append(todo, fmt.Sprintf("generate a key on %s (%s)", t.Client, t.Key))
	} else {
		newLine = shownKey(cl.pub)
	}
	if !authorized {
		what := fmt.Sprintf("authorize %s key", possessive(t.Client))
		if cl.pub == "" {
			what = "authorize it"
		}
		what += fmt.Sprintf(" on %s as %s for %s", t.Server, t.User, t.Purpose)
		if len(sv.linesTagged(t.tag())) > 0 {
			what += " (replacing its old line)"
		}
		todo = append(todo, what)
		c.Details = append(c.Details, fmt.Sprintf("%s %s/.ssh/authorized_keys:", t.Server, sv.home))
		for _, old := range sv.linesTagged(t.tag()) {
			c.Details = append(c.Details, "  - "+shownLine(old))
		}
		c.Details = append(c.Details, "  + "+t.authorizedLine(newLine))
	}
	if !recorded {
		what := fmt.Sprintf("record %s host key", possessive(t.Server))
		if t.Address != t.Server {
			what += " for " + t.Address
		}
		todo = append(todo, what)
		c.Details = append(c.Details, fmt.Sprintf("%s %s:", t.Client, cl.knownHosts),
			fmt.Sprintf("  + %s %s %s (name hashed)", t.Address, shownKey(sv.hostKey), t.hostTag()))
	}
	c.Summary = strings.Join(todo, ", ")
	plan.SetPayload(c, sshTrustPayload{Generate: cl.pub == "", Key: cl.pub, HostKey: sv.hostKey, Record: !recorded})
	return c, nil
}

// problem says why the trust cannot be set up as planned, and how to fix
// it; "" when it can.
func (t *SSHTrust) problem(cl trustClient, sv trustServer) string {
	switch cl.key {
	case "link":
		return fmt.Sprintf("%s: %s is a symlink; shoal never writes or reads a key through one: make it a file, or name another key", t.Client, t.Key)
	case "other":
		return fmt.Sprintf("%s: %s is not a file", t.Client, t.Key)
	case "unusable":
		return fmt.Sprintf("%s: %s exists but ssh-keygen cannot read it without a passphrase; shoal never overwrites a key: remove it or name another key", t.Client, t.Key)
	}
	switch {
	case !cl.keygen:
		return fmt.Sprintf("%s has no ssh-keygen: install openssh-client there", t.Client)
	case cl.knownHostsKind == "link" || cl.knownHostsKind == "other":
		return fmt.Sprintf("%s: %s is not a regular file (a symlink?); shoal never writes through one", t.Client, cl.knownHosts)
	case sv.hostKeyProblem != "":
		return fmt.Sprintf("%s: %s", t.Server, sv.hostKeyProblem)
	case !sv.userFound:
		return fmt.Sprintf("%s has no user %s to authorize the key for", t.Server, t.User)
	case !strings.HasPrefix(sv.home, "/"):
		return fmt.Sprintf("%s: %s home folder %q is not an absolute path", t.Server, possessive(t.User), sv.home)
	case sv.homeDir.kind == "absent" || sv.homeDir.kind == "file" || sv.homeDir.kind == "other":
		return fmt.Sprintf("%s: %s home folder %s does not exist (or is not a folder), so it has no ~/.ssh to authorize the key in", t.Server, possessive(t.User), sv.home)
	case sv.dir.kind == "link" || sv.dir.kind == "other":
		return fmt.Sprintf("%s: %s/.ssh is not a folder (%s); shoal never writes through a link a user could plant: replace it with a folder", t.Server, sv.home, sv.dir.describe())
	case sv.file.kind == "link" || sv.file.kind == "other":
		return fmt.Sprintf("%s: %s/.ssh/authorized_keys is not a regular file (%s); shoal never writes through a link a user could plant: replace it with a file", t.Server, sv.home, sv.file.describe())
	case !t.SFTP && loginRefused(sv.shell):
		return fmt.Sprintf("%s: %s shell is %s, through which sshd runs the forced command, so every login would fail: give %s a shell (usermod -s /bin/sh %s) or use sftp", t.Server, possessive(t.User), sv.shell, t.User, t.User)
	case t.RRsync != "" && !sv.rrsync:
		return fmt.Sprintf("%s has no rrsync: install rsync there (Debian 12 ships /usr/bin/rrsync)", t.Server)
	}
	if sv.sshd.read {
		switch {
		case !sv.sshd.readsAuthorizedKeys():
			return fmt.Sprintf("%s sshd reads keys from %s, not ~/.ssh/authorized_keys, where shoal writes them", possessive(t.Server), strings.Join(sv.sshd.keysFiles, " "))
		case t.SFTP && !sv.sshd.sftp:
			return fmt.Sprintf("%s sshd has no sftp Subsystem, so an SFTP login would fail: add `Subsystem sftp internal-sftp` to its sshd_config", possessive(t.Server))
		}
	}
	if sv.sshd.strictModes {
		for _, p := range []struct {
			name string
			st   pathState
		}{{sv.home, sv.homeDir}, {sv.home + "/.ssh", sv.dir}, {sv.home + "/.ssh/authorized_keys", sv.file}} {
			if p.st.kind != "absent" && (p.st.mode&0o022 != 0 || p.st.uid != 0 && p.st.uid != sv.uid) {
				return fmt.Sprintf("%s: %s is mode %04o owned by uid %d; sshd (StrictModes) ignores authorized_keys then: make it owned by %s or root and writable by its owner only", t.Server, p.name, p.st.mode, p.st.uid, t.User)
			}
		}
	}
	return ""
}

// possessive is "web1's", "files'".
func possessive(name string) string {
	if strings.HasSuffix(name, "s") {
		return name + "'"
	}
	return name + "'s"
}

// loginRefused reports a shell that refuses every command (nologin).
func loginRefused(shell string) bool {
	switch path.Base(shell) {
	case "nologin", "false":
		return true
	}
	return false
}

// shownKey is a public key as a plan shows it: type and fingerprint.
func shownKey(pub string) string {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pub))
	if err != nil {
		return pub
	}
	return k.Type() + " " + ssh.FingerprintSHA256(k)
}

// shownLine is an authorized_keys line with its key as a fingerprint.
func shownLine(line string) string {
	k, comment, options, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return line
	}
	shown := k.Type() + " " + ssh.FingerprintSHA256(k) + " " + comment
	if len(options) > 0 {
		shown = strings.Join(options, ",") + " " + shown
	}
	return shown
}

// ApplyHosts sets the trust up in three sessions, each checking on its
// node what the plan rests on: on the client, the key (generated if the
// plan found none; else still the key the plan saw), which prints its
// public half; on the server, its host key unchanged, then the line for
// that key; on the client, the server's host key in known_hosts. Every
// state an interruption leaves (a key not yet authorized, a line without
// its known_hosts entry) is one the next plan finishes.
func (t *SSHTrust) ApplyHosts(ctx context.Context, hosts map[string]transport.Host, c *plan.Change, r Reporter) error {
	p, err := plan.DecodePayload[sshTrustPayload](c)
	if err != nil {
		return err
	}
	client, ok := hosts[t.Client]
	if !ok {
		return fmt.Errorf("no connection to %s", t.Client)
	}
	server, ok := hosts[t.Server]
	if !ok {
		return fmt.Errorf("no connection to %s", t.Server)
	}
	var out bytes.Buffer
	if err := client.Run(ctx, transport.Command{Script: t.keyScript(p), Stdout: &out}); err != nil {
		return fmt.Errorf("%s: the key %s: %w", t.Client, t.Key, err)
	}
	pub, found := strings.CutPrefix(strings.TrimSpace(out.String()), "pub ")
	if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pub)); !found || err != nil {
		return fmt.Errorf("%s: the key %s: ssh-keygen printed %q, not a public key", t.Client, t.Key, out.String())
	}
	if p.Generate {
		r.Output(fmt.Sprintf("generated %s on %s (%s)", t.Key, t.Client, shownKey(pub)))
	}
	out.Reset()
	if err := server.Run(ctx, transport.Command{Script: t.authorizeScript(pub, p.HostKey), Stdout: &out}); err != nil {
		return fmt.Errorf("%s: authorizing %s key for %s: %w", t.Server, possessive(t.Client), t.User, err)
	}
	r.Output(fmt.Sprintf("%s: %s", t.Server, strings.TrimSpace(out.String())))
	if !p.Record {
		return nil
	}
	salt := make([]byte, sha1.Size)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	out.Reset()
	if err := client.Run(ctx, transport.Command{Script: t.knownHostsScript(t.hostLine(p.HostKey, salt)), Stdout: &out}); err != nil {
		return fmt.Errorf("%s: recording %s host key: %w", t.Client, possessive(t.Server), err)
	}
	r.Output(fmt.Sprintf("%s: %s", t.Client, strings.TrimSpace(out.String())))
	return nil
}

// keyScript makes sure the client holds the planned key and prints its
// public half as "pub <type> <base64>".
func (t *SSHTrust) keyScript(p sshTrustPayload) string {
	generate := ""
	if p.Generate {
		generate = "1"
	}
	return shell.Script(keyBody, shell.Bind("key", t.Key), shell.Bind("generate", generate),
		shell.Bind("want", p.Key), shell.Bind("comment", t.tag()))
}

const keyBody = `set -e
if [ -L "$key" ]; then
	echo "$key is a symlink: shoal never writes or reads a key through one" >&2
	exit 3
fi
if [ -e "$key" ]; then
	if [ ! -f "$key" ]; then
		echo "$key is not a file" >&2
		exit 3
	fi
	if [ -n "$generate" ]; then
		echo "$key appeared since the plan; run shoal plan again" >&2
		exit 3
	fi
	pub=$(ssh-keygen -y -P '' -f "$key" </dev/null 2>/dev/null) || {
		echo "$key is not a key ssh-keygen can read without a passphrase" >&2
		exit 3
	}
	pub=$(printf '%s\n' "$pub" | awk '{ print $1 " " $2; exit }')
	if [ "$pub" != "$want" ]; then
		echo "$key changed since the plan; run shoal plan again" >&2
		exit 3
	fi
	printf 'pub %s\n' "$pub"
	exit 0
fi
if [ -z "$generate" ]; then
	echo "$key is gone since the plan; run shoal plan again" >&2
	exit 3
fi
d=$(dirname -- "$key")
if [ ! -d "$d" ]; then
	mkdir -p -- "$d"
	chmod 0700 -- "$d"
fi
tmp=$(mktemp -d -- "$d/.shoal-keygen.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
ssh-keygen -q -t ed25519 -N '' -C "$comment" -f "$tmp/key" </dev/null >/dev/null
sync -- "$tmp/key" "$tmp/key.pub"
mv -fT -- "$tmp/key.pub" "$key.pub"
# a hard link never replaces what is there: the private key is never overwritten
if ! ln -- "$tmp/key" "$key"; then
	echo "$key appeared while shoal made it; run shoal plan again" >&2
	exit 3
fi
sync -- "$d"
printf 'pub %s\n' "$(awk '{ print $1 " " $2; exit }' "$key.pub")"
`

// authorizeScript puts the line for pub into the server user's
// authorized_keys, once the server's host key is checked unchanged.
func (t *SSHTrust) authorizeScript(pub, hostKey string) string {
	return sshFileScript(t.User, "authorized_keys", "0600", t.authorizedLine(pub), t.tag(), hostKey)
}

// knownHostsScript puts line into root's known_hosts on the client.
func (t *SSHTrust) knownHostsScript(line string) string {
	return sshFileScript("root", "known_hosts", "", line, t.hostTag(), "")
}

// sshFileScript edits a file in a user's ~/.ssh: the line ending with
// tag is replaced by line (added when there is none), every other line
// kept; atomically, the previous version kept as <file>.shoal.bak, the
// file's owner kept (a new one is the user's), its mode set to mode (""
// keeps it; a new file gets 0644). The user may own ~/.ssh and plant
// links there, so nothing is followed: the work happens, by relative
// names, inside a folder only root can write, made inside the real
// ~/.ssh, whose current file is copied in without following a link
// (cp -P) and checked there; the result is renamed over the file, which
// replaces a link rather than writing through it. With hostKey, the
// node's ed25519 host key must still be it.
func sshFileScript(user, file, mode, line, tag, hostKey string) string {
	return shell.Script(sshFileBody, shell.Bind("user", user), shell.Bind("file", file), shell.Bind("mode", mode),
		shell.Bind("line", line), shell.Bind("tag", tag), shell.Bind("hostkey", hostKey), shell.Bind("hostkeyfile", hostKeyFile))
}

// hostKeyFile is where a server's host key is read: the key ssh_trust
// records on its clients.
const hostKeyFile = "/etc/ssh/ssh_host_ed25519_key.pub"

const sshFileBody = `set -e
if [ -n "$hostkey" ]; then
	now=$(awk '{ print $1 " " $2; exit }' "$hostkeyfile" 2>/dev/null) || now=
	if [ "$now" != "$hostkey" ]; then
		echo "this node's host key ($hostkeyfile) changed since the plan; run shoal plan again" >&2
		exit 3
	fi
fi
pw=$(getent passwd "$user") || {
	echo "there is no user $user here" >&2
	exit 3
}
home=$(printf '%s\n' "$pw" | cut -d: -f6)
ids=$(printf '%s\n' "$pw" | cut -d: -f3,4)
case "$home" in
/*) ;;
*)
	echo "$user's home folder '$home' is not an absolute path" >&2
	exit 3
	;;
esac
cd -P -- "$home"
top=$(pwd -P)
if [ ! -e .ssh ] && [ ! -L .ssh ]; then
	mkdir -m 0700 .ssh
	chown -h -- "$ids" .ssh
fi
if [ -L .ssh ] || [ ! -d .ssh ]; then
	echo "$top/.ssh is not a folder (a symlink?): not writing through it" >&2
	exit 3
fi
cd .ssh
if [ "$(pwd -P)" != "$top/.ssh" ]; then
	echo "$top/.ssh was replaced while shoal used it" >&2
	exit 3
fi
exec 9<.
flock -w 60 9 || {
	echo "$top/.ssh is locked by another process" >&2
	exit 1
}
stage=$(mktemp -d .shoal-XXXXXX)
trap 'rm -rf -- "$stage"' EXIT
cd "$stage"
trap 'cd .. && rm -rf -- "$stage"' EXIT
if [ "$(pwd -P)" != "$top/.ssh/$stage" ] || [ "$(stat -c %u .)" != "$(id -u)" ]; then
	echo "$top/.ssh/$stage was replaced while shoal used it" >&2
	exit 3
fi
existed=
if [ -e "../$file" ] || [ -L "../$file" ]; then
	if [ -L "../$file" ] || [ ! -f "../$file" ]; then
		echo "$top/.ssh/$file is not a regular file (a symlink?): not writing through it" >&2
		exit 3
	fi
	cp -P -p -- "../$file" old
	if [ -L old ] || [ ! -f old ]; then
		echo "$top/.ssh/$file was replaced while shoal read it" >&2
		exit 3
	fi
	existed=1
else
	: >old
	chown -- "$ids" old
	chmod 0644 old
fi
line=$line tag=$tag awk '
$NF == ENVIRON["tag"] { if (!done) print ENVIRON["line"]; done = 1; next }
{ print }
END { if (!done) print ENVIRON["line"] }
' old >new
if [ -n "$existed" ] && cmp -s old new; then
	echo "$top/.ssh/$file already holds the line"
	exit 0
fi
chown --reference=old -- new
chmod --reference=old -- new
if [ -n "$mode" ]; then chmod "$mode" new; fi
if [ -n "$existed" ]; then
	mv -fT -- old "../$file.shoal.bak"
fi
sync -- new
mv -fT -- new "../$file"
sync -- ..
echo "wrote $top/.ssh/$file"
`

// trustClientFact reads, on the client, the key (its public half, from
// the private key itself) and root's known_hosts lines for the trust.
type trustClientFact struct {
	KeyPath string
	Tag     string
}

func (f trustClientFact) Key() string { return "ssh-trust-client:" + f.KeyPath + " " + f.Tag }

func (f trustClientFact) Command() string {
	return shell.Script(trustClientBody, shell.Bind("key", f.KeyPath), shell.Bind("tag", f.Tag))
}

const trustClientBody = `command -v ssh-keygen >/dev/null 2>&1 && echo keygen
if [ -L "$key" ]; then
	echo "key link"
elif [ -f "$key" ]; then
	if pub=$(ssh-keygen -y -P '' -f "$key" </dev/null 2>/dev/null); then
		printf '%s\n' "$pub" | awk '{ print "key " $1 " " $2; exit }'
	else
		echo "key unusable"
	fi
elif [ -e "$key" ]; then
	echo "key other"
else
	echo "key absent"
fi
home=$(getent passwd root | cut -d: -f6)
kh=${home:-/root}/.ssh/known_hosts
printf 'known_hosts %s\n' "$kh"
if [ -L "$kh" ]; then
	echo "kh-file link"
elif [ -f "$kh" ]; then
	echo "kh-file file"
	tag=$tag awk '$NF == ENVIRON["tag"] { print "kh " $0 }' "$kh"
elif [ -e "$kh" ]; then
	echo "kh-file other"
fi
`

// trustClient is what trustClientFact found.
type trustClient struct {
	keygen         bool
	key            string // absent | link | other | unusable | present
	pub            string // the public key when present: "type base64"
	knownHosts     string // root's known_hosts path
	knownHostsKind string // "" absent | file | link | other
	hostLines      []string
}

func readTrustClient(ctx context.Context, src facts.Source, node string, f trustClientFact) (trustClient, error) {
	sec, err := src.Get(ctx, node, f)
	if err != nil {
		return trustClient{}, err
	}
	var cl trustClient
	for _, l := range strings.Split(sec.Output, "\n") {
		word, rest, _ := strings.Cut(l, " ")
		switch word {
		case "keygen":
			cl.keygen = true
		case "key":
			cl.key = rest
			if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rest)); err == nil {
				cl.key, cl.pub = "present", rest
			}
		case "known_hosts":
			cl.knownHosts = rest
		case "kh-file":
			cl.knownHostsKind = rest
		case "kh":
			cl.hostLines = append(cl.hostLines, rest)
		}
	}
	switch {
	case sec.Status != 0:
		return trustClient{}, fmt.Errorf("reading the key %s on %s: exit %d", f.KeyPath, node, sec.Status)
	case cl.key == "" || cl.knownHosts == "":
		return trustClient{}, fmt.Errorf("reading the key %s on %s: unexpected %q", f.KeyPath, node, sec.Output)
	}
	return cl, nil
}

// records reports whether one of the trust's known_hosts lines gives
// hostKey for addr, its name plain or hashed.
func (cl trustClient) records(addr, hostKey string) bool {
	name := strings.ToLower(addr)
	for _, l := range cl.hostLines {
		f := strings.Fields(l)
		if len(f) < 3 || strings.HasPrefix(f[0], "@") || f[1]+" "+f[2] != hostKey {
			continue
		}
		for _, h := range strings.Split(f[0], ",") {
			if h == name || hashedMatch(h, name) {
				return true
			}
		}
	}
	return false
}

// hashedMatch reports whether a hashed known_hosts name is name.
func hashedMatch(hashed, name string) bool {
	parts := strings.Split(hashed, "|")
	if len(parts) != 4 || parts[0] != "" || parts[1] != "1" {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(hashHost(salt, name)), []byte(hashed))
}

// trustServerFact reads, on the server, its host key, the user's account
// and ~/.ssh (without following links), the authorized_keys lines of one
// ssh_trust block (those ending with TagPrefix<client>), and what sshd's
// configuration says of key files and SFTP, when it can be read.
type trustServerFact struct {
	User      string
	TagPrefix string
}

func (f trustServerFact) Key() string {
	return "ssh-trust-server:" + f.User + " " + f.TagPrefix
}

func (f trustServerFact) Command() string {
	return shell.Script(trustServerBody, shell.Bind("user", f.User), shell.Bind("prefix", f.TagPrefix), shell.Bind("hostkeyfile", hostKeyFile))
}

const trustServerBody = `state() {
	if [ -L "$1" ]; then
		printf '%s link %s\n' "$2" "$(readlink -- "$1" | tr -d '\n')"
	elif [ -d "$1" ]; then
		stat -c "$2 dir %a %u" -- "$1"
	elif [ -f "$1" ]; then
		stat -c "$2 file %a %u" -- "$1"
	elif [ -e "$1" ]; then
		echo "$2 other"
	else
		echo "$2 absent"
	fi
}
if [ -f "$hostkeyfile" ]; then
	awk '{ print "hostkey " $1 " " $2; exit }' "$hostkeyfile"
else
	echo "hostkey absent"
fi
command -v rrsync >/dev/null 2>&1 && echo rrsync
for s in sshd /usr/sbin/sshd; do
	if command -v "$s" >/dev/null 2>&1; then
		if conf=$("$s" -T 2>/dev/null); then
			echo "sshd read"
			printf '%s\n' "$conf" | awk 'tolower($1) == "authorizedkeysfile" || tolower($1) == "subsystem" || tolower($1) == "strictmodes" { print "sshd " $0 }'
		fi
		break
	fi
done
pw=$(getent passwd "$user") || {
	echo "user absent"
	exit 0
}
printf 'user %s\n' "$pw"
home=$(printf '%s\n' "$pw" | cut -d: -f6)
case "$home" in
/*) ;;
*) exit 0 ;;
esac
state "$home" home
state "$home/.ssh" dir
state "$home/.ssh/authorized_keys" file
if [ ! -L "$home/.ssh" ] && [ -d "$home/.ssh" ] && [ ! -L "$home/.ssh/authorized_keys" ] && [ -f "$home/.ssh/authorized_keys" ]; then
	prefix=$prefix awk 'index($NF, ENVIRON["prefix"]) == 1 { print "line " $0 }' "$home/.ssh/authorized_keys"
fi
`

// trustServer is what trustServerFact found.
type trustServer struct {
	hostKey        string // "ssh-ed25519 AAAA…"
	hostKeyProblem string
	rrsync         bool
	sshd           sshdConfig
	userFound      bool
	uid            int
	home, shell    string
	homeDir        pathState
	dir, file      pathState
	lines          []string
}

// sshdConfig is what `sshd -T` says, when it could be read.
type sshdConfig struct {
	read        bool
	keysFiles   []string
	sftp        bool
	strictModes bool
}

// readsAuthorizedKeys reports whether sshd reads ~/.ssh/authorized_keys.
func (c sshdConfig) readsAuthorizedKeys() bool {
	if len(c.keysFiles) == 0 {
		return true // sshd's default
	}
	for _, f := range c.keysFiles {
		if f == ".ssh/authorized_keys" || f == "%h/.ssh/authorized_keys" {
			return true
		}
	}
	return false
}

// pathState is a path as lstat sees it.
type pathState struct {
	kind   string // absent | dir | file | link | other
	mode   uint32
	uid    int
	target string // a link's
}

func (p pathState) describe() string {
	if p.kind == "link" {
		return "a symlink to " + p.target
	}
	return "neither a file nor a folder"
}

func parsePathState(rest string) pathState {
	kind, more, _ := strings.Cut(rest, " ")
	p := pathState{kind: kind}
	switch kind {
	case "link":
		p.target = more
	case "dir", "file":
		f := strings.Fields(more)
		if len(f) == 2 {
			m, _ := strconv.ParseUint(f[0], 8, 32)
			p.mode = uint32(m)
			p.uid, _ = strconv.Atoi(f[1])
		}
	}
	return p
}

func readTrustServer(ctx context.Context, src facts.Source, node string, f trustServerFact) (trustServer, error) {
	sec, err := src.Get(ctx, node, f)
	if err != nil {
		return trustServer{}, err
	}
	if sec.Status != 0 {
		return trustServer{}, fmt.Errorf("reading %s ssh setup on %s: exit %d", possessive(f.User), node, sec.Status)
	}
	sv := trustServer{sshd: sshdConfig{strictModes: true}}
	sawHostKey := false
	for _, l := range strings.Split(sec.Output, "\n") {
		word, rest, _ := strings.Cut(l, " ")
		switch word {
		case "hostkey":
			sawHostKey = true
			if rest == "absent" {
				sv.hostKeyProblem = "has no " + hostKeyFile + ", the host key its clients would record"
			} else if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rest)); err != nil {
				sv.hostKeyProblem = hostKeyFile + " does not hold a public key"
			} else {
				sv.hostKey = rest
			}
		case "rrsync":
			sv.rrsync = true
		case "sshd":
			sv.sshd.read = true
			f := strings.Fields(rest)
			if len(f) == 0 {
				continue
			}
			switch strings.ToLower(f[0]) {
			case "authorizedkeysfile":
				sv.sshd.keysFiles = f[1:]
			case "subsystem":
				if len(f) > 1 && f[1] == "sftp" {
					sv.sshd.sftp = true
				}
			case "strictmodes":
				sv.sshd.strictModes = len(f) < 2 || f[1] != "no"
			}
		case "user":
			if rest == "absent" {
				continue
			}
			pw := strings.Split(rest, ":")
			if len(pw) != 7 {
				return trustServer{}, fmt.Errorf("reading %s account on %s: unexpected %q", possessive(f.User), node, rest)
			}
			sv.userFound, sv.home, sv.shell = true, pw[5], pw[6]
			sv.uid, _ = strconv.Atoi(pw[2])
		case "home":
			sv.homeDir = parsePathState(rest)
		case "dir":
			sv.dir = parsePathState(rest)
		case "file":
			sv.file = parsePathState(rest)
		case "line":
			sv.lines = append(sv.lines, rest)
		}
	}
	if !sawHostKey {
		return trustServer{}, fmt.Errorf("reading %s ssh setup on %s: unexpected %q", possessive(f.User), node, sec.Output)
	}
	return sv, nil
}

// linesTagged are the authorized_keys lines shoal wrote for tag.
func (sv trustServer) linesTagged(tag string) []string {
	var out []string
	for _, l := range sv.lines {
		if f := strings.Fields(l); len(f) > 0 && f[len(f)-1] == tag {
			out = append(out, l)
		}
	}
	return out
}
