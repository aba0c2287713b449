package steps

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// loopbackSSHD starts this machine's sshd on 127.0.0.1 with throwaway
// keys, for benchmarks only; it skips when sshd is not installed.
type loopbackSSHD struct {
	port       int
	key        string
	knownHosts string
}

func startLoopbackSSHD(b *testing.B) loopbackSSHD {
	b.Helper()
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		b.Skip("no sshd on this machine")
	}
	dir := b.TempDir()
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			b.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	config := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nPermitRootLogin yes\nStrictModes no\nUsePAM no\nPidFile none\n",
		port, filepath.Join(dir, "host"), filepath.Join(dir, "client.pub"))
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(config), 0o600); err != nil {
		b.Fatal(err)
	}
	// sshd's privilege separation folder, which its service would make
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		b.Fatal(err)
	}
	var sshdLog bytes.Buffer
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	sshd.Stderr = &sshdLog
	if err := sshd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sshd.Process.Kill(); sshd.Wait() })
	hostKey, err := os.ReadFile(filepath.Join(dir, "host.pub"))
	if err != nil {
		b.Fatal(err)
	}
	s := loopbackSSHD{port: port, key: filepath.Join(dir, "client"), knownHosts: filepath.Join(dir, "known_hosts")}
	if err := os.WriteFile(s.knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", port, hostKey)), 0o600); err != nil {
		b.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return s
		}
		if time.Since(start) > 5*time.Second {
			b.Fatalf("sshd did not start: %s", sshdLog.String())
		}
	}
}

func (s loopbackSSHD) dial(b *testing.B, node string) *transport.Conn {
	b.Helper()
	empty := filepath.Join(b.TempDir(), "ssh_config")
	os.WriteFile(empty, nil, 0o600)
	c, err := transport.Dial(context.Background(),
		transport.Target{Node: node, Host: "127.0.0.1", Port: s.port, User: "root", IdentityFile: s.key, Jump: "none"},
		transport.Options{SSHConfig: empty, KnownHosts: []string{s.knownHosts}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// ssh is the OpenSSH command line that runs script on the loopback sshd.
func (s loopbackSSHD) ssh(script string) string {
	return shell.Join("ssh", "-F", "/dev/null", "-i", s.key, "-o", "UserKnownHostsFile="+s.knownHosts,
		"-o", "BatchMode=yes", "-p", fmt.Sprint(s.port), "root@127.0.0.1", script)
}

// BenchmarkReplicateSSH compares `ssh tar -c | ssh tar -x` (OpenSSH, one
// connection per side) with ApplyBatch over shoal's transport, all on a
// loopback sshd: the target is ≥ 80% of the raw pipe's throughput.
func BenchmarkReplicateSSH(b *testing.B) {
	sshd := startLoopbackSSHD(b)
	src, size := benchTree(b)
	dir := b.TempDir()
	b.Run("raw", func(b *testing.B) {
		dst := filepath.Join(dir, "raw")
		pipe := sshd.ssh(createScript(src, false, nil, nil)) + " | " + sshd.ssh((&Replicate{}).extractScript(benchChange("n", dst)))
		b.SetBytes(size)
		for range b.N {
			if out, err := exec.Command("sh", "-c", pipe).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
			b.StopTimer()
			os.RemoveAll(dst)
			b.StartTimer()
		}
	})
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("shoal/replicas=%d", n), func(b *testing.B) {
			hosts := map[string]transport.Host{"web1": sshd.dial(b, "web1")}
			var cs []*plan.Change
			for i := range n {
				node := fmt.Sprintf("web%d", i+2)
				hosts[node] = sshd.dial(b, node)
				cs = append(cs, benchChange(node, filepath.Join(dir, node)))
			}
			r := &Replicate{Primary: "web1", PrimaryRoot: src}
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				if err := r.ApplyBatch(context.Background(), hosts, cs, func(*plan.Change) Reporter { return discard{} }); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				for _, c := range cs {
					os.RemoveAll(c.Target)
				}
				b.StartTimer()
			}
		})
	}
}
