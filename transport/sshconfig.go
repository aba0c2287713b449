package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// sshConfig is the ssh_config files in the order OpenSSH reads them: the
// first file that sets a keyword for a host wins.
type sshConfig struct {
	files []*ssh_config.Config
}

// loadSSHConfig reads path alone, or ~/.ssh/config then /etc/ssh/ssh_config
// when path is "". Default files that do not exist are skipped; an explicit
// path must exist.
func loadSSHConfig(path string) (*sshConfig, error) {
	if path != "" {
		c, err := readSSHConfig(path)
		if err != nil {
			return nil, err
		}
		return &sshConfig{files: []*ssh_config.Config{c}}, nil
	}
	var sc sshConfig
	for _, p := range []string{expandHome("~/.ssh/config"), "/etc/ssh/ssh_config"} {
		c, err := readSSHConfig(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc.files = append(sc.files, c)
	}
	return &sc, nil
}

func readSSHConfig(path string) (*ssh_config.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading ssh config: %w", err)
	}
	defer f.Close()
	c, err := ssh_config.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("parsing ssh config %s: %w", path, err)
	}
	return c, nil
}

// get returns the first value of key for alias, or "".
func (sc *sshConfig) get(alias, key string) string {
	for _, c := range sc.files {
		if v, err := c.Get(alias, key); err == nil && v != "" {
			return v
		}
	}
	return ""
}

// getAll returns every value of key for alias, across files, in order.
func (sc *sshConfig) getAll(alias, key string) []string {
	var all []string
	for _, c := range sc.files {
		if vs, err := c.GetAll(alias, key); err == nil {
			all = append(all, vs...)
		}
	}
	return all
}

// expandPath applies ssh_config's ~ and %-tokens to a file path:
// %d home, %h remote host, %r remote user, %u local user, %% a percent.
func expandPath(p, host, user string) string {
	if strings.Contains(p, "%") {
		local := os.Getenv("USER")
		r := strings.NewReplacer("%%", "%", "%d", homeDir(), "%h", host, "%r", user, "%u", local)
		p = r.Replace(p)
	}
	return expandHome(p)
}

func expandHome(p string) string {
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}

func homeDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return "/"
	}
	return home
}
