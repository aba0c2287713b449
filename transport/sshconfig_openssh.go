package transport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// opensshResolver asks the ssh client itself: `ssh -G` prints the
// settings it would use, after Include, Match, tokens, canonicalisation
// and its defaults.
type opensshResolver struct {
	ssh        string        // path of the ssh binary
	configFile string        // -F, or "" for ssh's own choice
	timeout    time.Duration // 0: sshGTimeout
}

func (r *opensshResolver) source() string { return "ssh -G" }

// sshGTimeout bounds one ssh -G: it reads files, unless a Match exec or
// canonicalisation's DNS lookups hang.
const sshGTimeout = 30 * time.Second

func (r *opensshResolver) resolve(parent context.Context, q configQuery) (hostConfig, error) {
	timeout := r.timeout
	if timeout == 0 {
		timeout = sshGTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	args := []string{"-G"}
	if r.configFile != "" {
		args = append(args, "-F", r.configFile)
	}
	if q.User != "" {
		args = append(args, "-l", q.User)
	}
	if q.Port != 0 {
		args = append(args, "-p", strconv.Itoa(q.Port))
	}
	args = append(args, "--", q.Host) // a host starting with - is not an option
	cmd := exec.CommandContext(ctx, r.ssh, args...)
	// On timeout, what a Match exec started goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		switch {
		case parent.Err() != nil:
			return hostConfig{}, parent.Err()
		case ctx.Err() != nil:
			return hostConfig{}, fmt.Errorf("ssh -G %s: no answer within %s (a Match exec that does not return?)", q.Host, timeout)
		}
		why := strings.TrimSpace(stderr.String())
		if why == "" {
			why = err.Error()
		}
		return hostConfig{}, fmt.Errorf("ssh -G %s: %s", q.Host, why)
	}
	return parseSSHG(q.Host, stdout.Bytes())
}

// parseSSHG reads ssh -G's "keyword value" lines.
func parseSSHG(host string, out []byte) (hostConfig, error) {
	c := hostConfig{Host: host}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		if err := c.set(key, value); err != nil {
			return hostConfig{}, fmt.Errorf("ssh -G %s: %s %s: %w", host, key, value, err)
		}
	}
	return c, sc.Err()
}

// set records one line of ssh -G's output; keywords shoal does not use
// are ignored.
func (c *hostConfig) set(key, value string) error {
	var err error
	switch key {
	case "hostname":
		c.Hostname = value
	case "user":
		c.User = value
	case "port":
		c.Port, err = strconv.Atoi(value)
	case "identityfile":
		c.IdentityFiles = append(c.IdentityFiles, value)
	case "identitiesonly":
		c.IdentitiesOnly = value == "yes"
	case "identityagent":
		c.IdentityAgent = value
	case "certificatefile":
		c.CertificateFiles = append(c.CertificateFiles, value)
	case "proxyjump":
		c.ProxyJump = value
	case "proxycommand":
		c.ProxyCommand = value
	case "userknownhostsfile":
		c.UserKnownHostsFiles = strings.Fields(value)
	case "globalknownhostsfile":
		c.GlobalKnownHostsFiles = strings.Fields(value)
	case "stricthostkeychecking":
		c.StrictHostKeyChecking = value
	case "hostkeyalias":
		c.HostKeyAlias = value
	case "hashknownhosts":
		c.HashKnownHosts = value == "yes"
	case "connecttimeout":
		if value != "none" {
			c.ConnectTimeout, err = strconv.Atoi(value)
		}
	case "serveraliveinterval":
		c.ServerAliveInterval, err = strconv.Atoi(value)
	case "serveralivecountmax":
		c.ServerAliveCountMax, err = strconv.Atoi(value)
	case "hostkeyalgorithms":
		c.HostKeyAlgorithms = strings.Split(value, ",")
	case "pubkeyacceptedalgorithms":
		c.PubkeyAcceptedAlgorithms = strings.Split(value, ",")
	}
	return err
}
