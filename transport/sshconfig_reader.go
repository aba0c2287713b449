package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readerResolver reads ssh_config itself, for machines without an ssh
// client, following OpenSSH 9.2's readconf.c for the keywords shoal uses:
// the first value obtained wins (IdentityFile and CertificateFile add
// up), Host patterns match the name asked for, Match host the HostName
// set so far, Include nests, Match final re-reads the files for the
// HostName. It does not canonicalise host names (CanonicalizeHostname),
// and ignores keywords it does not know rather than refusing them.
type readerResolver struct {
	configFile string // -F, or "" for ~/.ssh/config then /etc/ssh/ssh_config
	local      localUser
}

func (r *readerResolver) source() string { return "shoal's ssh_config reader" }

const maxIncludeDepth = 16

// readState is one reading of the files for one destination.
type readState struct {
	ctx       context.Context
	host      string // what Host patterns match: the name asked for, then (final pass) the HostName
	original  string // what Match originalhost matches
	final     bool   // the second pass, after Match final asked for one
	wantFinal bool
	values    map[string][]string // keyword → arguments; the first active line wins
	raw       map[string]string   // keyword → the rest of its line (ProxyCommand)
	lists     map[string][]string // IdentityFile, CertificateFile: every active line adds
}

func (r *readerResolver) resolve(ctx context.Context, q configQuery) (hostConfig, error) {
	st := &readState{ctx: ctx, host: q.Host, original: q.Host,
		values: map[string][]string{}, raw: map[string]string{}, lists: map[string][]string{}}
	// What the command line fixes comes first, so ssh_config cannot change it.
	if q.User != "" {
		st.values["user"] = []string{q.User}
	}
	if q.Port != 0 {
		st.values["port"] = []string{strconv.Itoa(q.Port)}
	}
	if err := r.readAll(st); err != nil {
		return hostConfig{}, err
	}
	hostname := st.hostname()
	if net.ParseIP(hostname) == nil {
		hostname = strings.ToLower(hostname)
	}
	if st.wantFinal {
		st.final, st.host = true, hostname
		st.values["hostname"] = []string{hostname}
		if err := r.readAll(st); err != nil {
			return hostConfig{}, err
		}
	}
	return r.settle(st, q.Host, hostname)
}

// readAll reads -F's file, or the user's then the system's.
func (r *readerResolver) readAll(st *readState) error {
	if r.configFile != "" {
		return r.readFile(st, r.configFile, true, true, false, 0)
	}
	user := filepath.Join(r.local.home, ".ssh", "config")
	if err := r.readFile(st, user, true, false, false, 0); err != nil {
		return err
	}
	return r.readFile(st, "/etc/ssh/ssh_config", false, false, false, 0)
}

// readFile applies one file's lines. A file that does not exist is
// skipped, unless it was named with -F.
func (r *readerResolver) readFile(st *readState, path string, userConf, mustExist, neverMatch bool, depth int) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !mustExist {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading ssh config: %w", err)
	}
	if userConf && !mustExist || depth > 0 {
		if err := checkConfigOwner(path); err != nil {
			return err
		}
	}
	active := true
	for i, line := range strings.Split(string(data), "\n") {
		where := fmt.Sprintf("%s line %d", path, i+1)
		keyword, rest, args, err := splitConfigLine(line)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		switch keyword {
		case "":
		case "host":
			active = !neverMatch && matchHostPatterns(st.host, args)
		case "match":
			if neverMatch {
				active = false
				continue
			}
			if active, err = r.match(st, args); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		case "include":
			if err := r.include(st, args, userConf, !active, depth); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		default:
			if active {
				if err := st.set(keyword, rest, args); err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
			}
		}
	}
	return nil
}

// checkConfigOwner refuses a user config others may write, as ssh does.
func checkConfigOwner(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading ssh config: %w", err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if ok && (st.Uid != 0 && int(st.Uid) != os.Getuid() || info.Mode().Perm()&0o022 != 0) {
		return fmt.Errorf("bad owner or permissions on %s", path)
	}
	return nil
}

// include reads the files an Include names: relative paths are under
// ~/.ssh for the user's files and /etc/ssh for the system's. Within an
// inactive block they are read for errors only.
func (r *readerResolver) include(st *readState, patterns []string, userConf, inactive bool, depth int) error {
	if depth+1 > maxIncludeDepth {
		return fmt.Errorf("includes nested more than %d deep", maxIncludeDepth)
	}
	for _, p := range patterns {
		switch {
		case strings.HasPrefix(p, "~") && !userConf:
			return fmt.Errorf("bad include path %s", p)
		case strings.HasPrefix(p, "~"):
			p = r.local.expandTilde(p)
		case !filepath.IsAbs(p) && userConf:
			p = filepath.Join(r.local.home, ".ssh", p)
		case !filepath.IsAbs(p):
			p = filepath.Join("/etc/ssh", p)
		}
		files, err := filepath.Glob(p)
		if err != nil {
			return fmt.Errorf("including %s: %w", p, err)
		}
		for _, f := range files {
			if err := r.readFile(st, f, userConf, false, inactive, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// match evaluates a Match line: every criterion must hold; an exec is
// run only when the ones before it held.
func (r *readerResolver) match(st *readState, args []string) (bool, error) {
	if len(args) == 0 {
		return false, errors.New("a Match line needs criteria")
	}
	result := true
	for i := 0; i < len(args); i++ {
		attr := strings.ToLower(args[i])
		negate := strings.HasPrefix(attr, "!")
		attr = strings.TrimPrefix(attr, "!")
		var ok bool
		switch attr {
		case "all":
			if !matchAllAlone(args, i) {
				return false, errors.New("'all' cannot be combined with other Match attributes")
			}
			ok = true
		case "canonical", "final":
			if attr == "final" {
				st.wantFinal = true
			}
			ok = st.final
		case "host", "originalhost", "user", "localuser", "exec":
			if i+1 == len(args) {
				return false, fmt.Errorf("a Match %s needs an argument", attr)
			}
			i++
			var err error
			if ok, err = r.criterion(st, attr, args[i], result); err != nil {
				return false, err
			}
		default:
			return false, fmt.Errorf("unsupported Match attribute %s", args[i])
		}
		if ok == negate {
			result = false
		}
	}
	return result, nil
}

func (r *readerResolver) criterion(st *readState, attr, arg string, sofar bool) (bool, error) {
	switch attr {
	case "host":
		return matchPatternList(st.matchHost(), arg, true), nil
	case "originalhost":
		return matchPatternList(st.original, arg, true), nil
	case "user":
		return matchPatternList(st.user(r.local), arg, false), nil
	case "localuser":
		return matchPatternList(r.local.name, arg, false), nil
	}
	if !sofar { // exec: not run once the line cannot match
		return false, nil
	}
	port, _ := strconv.Atoi(st.first("port"))
	if port == 0 {
		port = 22
	}
	alias := st.first("hostkeyalias")
	if alias == "" {
		alias = st.matchHost()
	}
	tokens := connTokens{local: r.local, host: st.matchHost(), original: st.original, port: port,
		user: st.user(r.local), keyAlias: alias}
	cmd, err := expandTokens(arg, tokens.pathTokens())
	if err != nil {
		return false, fmt.Errorf("in Match exec: %w", err)
	}
	err = exec.CommandContext(st.ctx, "/bin/sh", "-c", cmd).Run() // output discarded, as ssh -G's
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return false, fmt.Errorf("running Match exec %q: %w", cmd, err)
	}
	return err == nil, nil
}

// matchHost is what Match host compares: the HostName set so far, with
// %h, or the name asked for.
func (st *readState) matchHost() string {
	if st.final {
		return st.host
	}
	return st.hostname()
}

func (st *readState) hostname() string {
	hn := st.first("hostname")
	if hn == "" {
		return st.original
	}
	if expanded, err := expandTokens(hn, map[byte]string{'%': "%", 'h': st.original}); err == nil {
		return expanded
	}
	return hn
}

func (st *readState) user(local localUser) string {
	if u := st.first("user"); u != "" {
		return u
	}
	return local.name
}

func (st *readState) first(keyword string) string {
	if v := st.values[keyword]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// set records an active line of a keyword shoal uses.
func (st *readState) set(keyword, rest string, args []string) error {
	switch keyword {
	case "pubkeyacceptedkeytypes":
		keyword = "pubkeyacceptedalgorithms"
	case "identityfile", "certificatefile":
		for _, have := range st.lists[keyword] {
			if have == args[0] {
				return nil
			}
		}
		st.lists[keyword] = append(st.lists[keyword], args[0])
		return nil
	case "proxycommand":
		if _, set := st.raw["proxycommand"]; !set {
			st.raw["proxycommand"] = rest
		}
		return nil
	case "proxyjump":
		return st.setJump(rest)
	case "port": // a number or a service name, as OpenSSH's a2port
		p, err := strconv.Atoi(args[0])
		if err != nil {
			p, err = net.LookupPort("tcp", args[0])
		}
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("bad port %q", args[0])
		}
		args = []string{strconv.Itoa(p)}
	case "connecttimeout", "serveraliveinterval":
		if _, err := parseConfigTime(args[0]); err != nil {
			return fmt.Errorf("%s %q: %w", keyword, args[0], err)
		}
	}
	if _, set := st.values[keyword]; !set {
		st.values[keyword] = args
	}
	return nil
}

// setJump applies ProxyJump: it counts only while neither it nor
// ProxyCommand is set, and then disables ProxyCommand.
func (st *readState) setJump(spec string) error {
	if !strings.EqualFold(spec, "none") {
		for _, hop := range strings.Split(spec, ",") {
			if _, _, _, err := parseHop(hop); err != nil {
				return err
			}
		}
	}
	_, jumpSet := st.values["proxyjump"]
	_, commandSet := st.raw["proxycommand"]
	if jumpSet || commandSet {
		return nil
	}
	st.values["proxyjump"] = []string{spec}
	if !strings.EqualFold(spec, "none") {
		st.raw["proxycommand"] = "none"
	}
	return nil
}

// settle fills in OpenSSH's defaults and expands what ssh -G shows
// expanded, so the result reads as ssh -G's would.
func (r *readerResolver) settle(st *readState, host, hostname string) (hostConfig, error) {
	c := hostConfig{
		Host:                  host,
		Hostname:              hostname,
		User:                  st.user(r.local),
		Port:                  22,
		IdentityFiles:         st.lists["identityfile"],
		CertificateFiles:      st.lists["certificatefile"],
		IdentitiesOnly:        yes(st.first("identitiesonly")),
		HashKnownHosts:        yes(st.first("hashknownhosts")),
		HostKeyAlias:          st.first("hostkeyalias"),
		UserKnownHostsFiles:   st.values["userknownhostsfile"],
		GlobalKnownHostsFiles: st.values["globalknownhostsfile"],
		StrictHostKeyChecking: "ask",
		ServerAliveCountMax:   3,
	}
	if p := st.first("port"); p != "" {
		c.Port, _ = strconv.Atoi(p)
	}
	if len(c.IdentityFiles) == 0 {
		c.IdentityFiles = opensshDefaultIdentityFiles
	}
	if len(c.UserKnownHostsFiles) == 0 {
		c.UserKnownHostsFiles = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}
	}
	if len(c.GlobalKnownHostsFiles) == 0 {
		c.GlobalKnownHostsFiles = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	}
	switch strings.ToLower(st.first("stricthostkeychecking")) {
	case "yes", "true":
		c.StrictHostKeyChecking = "true"
	case "no", "false", "off":
		c.StrictHostKeyChecking = "false"
	case "accept-new":
		c.StrictHostKeyChecking = "accept-new"
	}
	if jump := st.first("proxyjump"); !strings.EqualFold(jump, "none") {
		c.ProxyJump = formatJump(jump)
	}
	if cmd := st.raw["proxycommand"]; cmd != "none" {
		c.ProxyCommand = cmd
	}
	if v := st.first("connecttimeout"); v != "" {
		d, _ := parseConfigTime(v)
		c.ConnectTimeout = int(d / time.Second)
	}
	if v := st.first("serveraliveinterval"); v != "" {
		d, _ := parseConfigTime(v)
		c.ServerAliveInterval = int(d / time.Second)
	}
	if v := st.first("serveralivecountmax"); v != "" {
		c.ServerAliveCountMax, _ = strconv.Atoi(v)
	}
	var err error
	if c.HostKeyAlgorithms, err = assembleAlgorithms(st.first("hostkeyalgorithms")); err != nil {
		return hostConfig{}, fmt.Errorf("HostKeyAlgorithms: %w", err)
	}
	if c.PubkeyAcceptedAlgorithms, err = assembleAlgorithms(st.first("pubkeyacceptedalgorithms")); err != nil {
		return hostConfig{}, fmt.Errorf("PubkeyAcceptedAlgorithms: %w", err)
	}

	tokens := connTokens{local: r.local, host: c.Hostname, original: host, port: c.Port, user: c.User, keyAlias: c.HostKeyAlias}
	for i, f := range c.UserKnownHostsFiles {
		if c.UserKnownHostsFiles[i], err = tokens.expandPath(f); err != nil {
			return hostConfig{}, fmt.Errorf("UserKnownHostsFile: %w", err)
		}
	}
	switch agent := st.first("identityagent"); {
	case agent == "none" || agent == "SSH_AUTH_SOCK" || strings.HasPrefix(agent, "$"):
		c.IdentityAgent = agent
	case agent != "":
		if c.IdentityAgent, err = tokens.expandPath(agent); err != nil {
			return hostConfig{}, fmt.Errorf("IdentityAgent: %w", err)
		}
	}
	return c, nil
}

// opensshDefaultIdentityFiles are the files OpenSSH 9.2 tries when
// ssh_config names none, in its order.
var opensshDefaultIdentityFiles = []string{
	"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
	"~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa",
}

func yes(v string) bool {
	v = strings.ToLower(v)
	return v == "yes" || v == "true"
}

// formatJump writes a ProxyJump as ssh -G does: its last hop parsed, an
// address in brackets.
func formatJump(spec string) string {
	if spec == "" {
		return ""
	}
	before, last := "", spec
	if i := strings.LastIndex(spec, ","); i >= 0 {
		before, last = spec[:i+1], spec[i+1:]
	}
	user, host, port, _ := parseHop(last)
	if strings.Contains(host, ":") || strings.Trim(host, "0123456789.") == "" {
		host = "[" + host + "]"
	}
	if user != "" {
		host = user + "@" + host
	}
	if port != 0 {
		host += ":" + strconv.Itoa(port)
	}
	return before + host
}

// parseConfigTime reads an ssh_config time: seconds, or a number with
// units (1m30s), as OpenSSH's convtime.
func parseConfigTime(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	units := map[byte]time.Duration{'s': time.Second, 'S': time.Second, 'm': time.Minute, 'M': time.Minute,
		'h': time.Hour, 'H': time.Hour, 'd': 24 * time.Hour, 'D': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'W': 7 * 24 * time.Hour}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, errors.New("not a time")
		}
		unit := time.Second
		if i < len(s) {
			var ok bool
			if unit, ok = units[s[i]]; !ok {
				return 0, errors.New("not a time")
			}
			i++
		}
		total += time.Duration(n) * unit
		s = s[i:]
	}
	return total, nil
}
