package transport

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// localUser is who runs shoal, as OpenSSH sees them: the passwd entry of
// the real uid (ssh ignores $HOME and $USER) and this machine's name.
type localUser struct {
	name      string // %u
	home      string // %d and ~
	uid       string // %i
	host      string // %l, the host name with its domain
	shortHost string // %L
}

func currentLocalUser() localUser {
	l := localUser{uid: strconv.Itoa(os.Getuid()), home: homeDir()}
	if u, err := user.Current(); err == nil {
		l.name = u.Username
	}
	l.host, _ = os.Hostname()
	l.shortHost, _, _ = strings.Cut(l.host, ".")
	return l
}

// expandTilde applies ssh_config's ~ and ~user to the start of a path.
func (l localUser) expandTilde(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		return filepath.Join(l.home, p[1:])
	}
	if strings.HasPrefix(p, "~") {
		name, rest, _ := strings.Cut(p[1:], "/")
		if u, err := user.Lookup(name); err == nil {
			return filepath.Join(u.HomeDir, rest)
		}
	}
	return p
}

// homeDir is the home directory in the passwd entry of the real uid:
// what ssh means by ~, whatever $HOME says.
func homeDir() string {
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		return u.HomeDir
	}
	return "/"
}

// tildeHome shows a path under the home directory as ~/….
func tildeHome(p string) string {
	home := homeDir()
	if home != "/" && strings.HasPrefix(p, home+"/") {
		return "~" + p[len(home):]
	}
	return p
}

// connTokens are what ssh_config's %-tokens stand for on one connection.
type connTokens struct {
	local    localUser
	host     string // %h: the host name dialled (HostName applied)
	original string // %n: the name asked for
	port     int    // %p
	user     string // %r
	keyAlias string // %k: HostKeyAlias, else %n
}

// pathTokens are the tokens of CertificateFile, IdentityAgent,
// IdentityFile, Match exec and UserKnownHostsFile.
func (c connTokens) pathTokens() map[byte]string {
	port := strconv.Itoa(c.port)
	hash := sha1.Sum([]byte(c.local.host + c.host + port + c.user))
	alias := c.keyAlias
	if alias == "" {
		alias = c.original
	}
	return map[byte]string{
		'%': "%", 'C': hex.EncodeToString(hash[:]), 'd': c.local.home, 'h': c.host,
		'i': c.local.uid, 'k': alias, 'L': c.local.shortHost, 'l': c.local.host,
		'n': c.original, 'p': port, 'r': c.user, 'u': c.local.name,
	}
}

// proxyTokens are the tokens of ProxyCommand and ProxyJump.
func (c connTokens) proxyTokens() map[byte]string {
	return map[byte]string{'%': "%", 'h': c.host, 'n': c.original, 'p': strconv.Itoa(c.port), 'r': c.user}
}

// expandTokens replaces each %x in s by tokens[x]; a token the keyword
// does not take is an error, as in OpenSSH.
func expandTokens(s string, tokens map[byte]string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("%q ends with a lone %%", s)
		}
		i++
		v, ok := tokens[s[i]]
		if !ok {
			return "", fmt.Errorf("%q: unknown token %%%c", s, s[i])
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// expandEnv replaces each ${NAME} in s by the environment variable; one
// that is not set is an error, as in OpenSSH.
func expandEnv(s string) (string, error) {
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			return "", fmt.Errorf("%q: unterminated ${", s)
		}
		name := s[start+2 : start+end]
		v, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("%q: environment variable %s is not set", s, name)
		}
		b.WriteString(s[:start])
		b.WriteString(v)
		s = s[start+end+1:]
	}
}

// expandPath is what OpenSSH does to a file named in ssh_config: ~ first,
// then %-tokens, then ${VAR}s.
func (c connTokens) expandPath(p string) (string, error) {
	p, err := expandTokens(c.local.expandTilde(p), c.pathTokens())
	if err != nil {
		return "", err
	}
	return expandEnv(p)
}
