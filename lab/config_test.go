package lab

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func exampleHosts() []Host {
	st := &state{Dir: "/run/shoal-lab", Storage: StorageSSHFS, Hosts: labHosts(labNet{}, 2, []string{"dns"})}
	return st.lab().Hosts
}

func TestHostsAndAddresses(t *testing.T) {
	want := []Host{
		{Name: "files", Addr: "10.77.0.5", Roles: []string{"files"}},
		{Name: "web1", Addr: "10.77.0.11", Roles: []string{"web"}},
		{Name: "web2", Addr: "10.77.0.12", Roles: []string{"web"}},
		{Name: "dns", Addr: "10.77.0.220", Roles: []string{"dns"}},
	}
	if diff := cmp.Diff(want, exampleHosts()); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
}

func TestMACFor(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"10.77.0.1", "02:00:0a:4d:00:01"},
		{"10.77.0.5", "02:00:0a:4d:00:05"},
		{"10.77.0.210", "02:00:0a:4d:00:d2"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, macFor(tt.ip)); diff != "" {
			t.Errorf("macFor(%s) (-want +got):\n%s", tt.ip, diff)
		}
	}
}

func TestNetworksOfConcurrentLabs(t *testing.T) {
	last := labNet{Index: maxLabs - 1}
	got := []string{last.bridge(), last.gateway(), last.files(), last.web(maxWeb), last.veth("web200")}
	want := []string{"shoal-lab15", "10.77.15.1", "10.77.15.5", "10.77.15.210", "shoal15-web200"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if name := last.veth("web200"); len(name) > 15 {
		t.Errorf("veth name %q is longer than the kernel's 15 bytes", name)
	}
}

func TestOptionsDefaultsAndChecks(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		want    Options
		wantErr string
	}{
		{"defaults", Options{}, Options{Dir: DefaultDir, Web: 3, Storage: StorageSSHFS}, ""},
		{"bind", Options{Dir: "/tmp/x", Web: 10, Storage: "bind"}, Options{Dir: "/tmp/x", Web: 10, Storage: StorageBind}, ""},
		{"too many", Options{Web: maxWeb + 1}, Options{}, "between 1 and 200"},
		{"negative", Options{Web: -1}, Options{}, "between 1 and 200"},
		{"unknown storage", Options{Storage: "nfs"}, Options{}, `got "nfs"`},
		{"extras", Options{Extra: []string{"dns", "db"}}, Options{Dir: DefaultDir, Web: 3, Storage: StorageSSHFS, Extra: []string{"dns", "db"}}, ""},
		{"extra named like a web host", Options{Extra: []string{"web4"}}, Options{}, `extra host "web4"`},
		{"extra twice", Options{Extra: []string{"dns", "dns"}}, Options{}, `extra host "dns"`},
		{"extra with a bad name", Options{Extra: []string{"a b"}}, Options{}, `extra host "a b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Options{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKnownHostsLineNamesAliasAndAddress(t *testing.T) {
	got := knownHostsLine("web1", "10.77.0.11", "ssh-ed25519 AAAAC3Nza root@web1")
	if diff := cmp.Diff("web1,10.77.0.11 ssh-ed25519 AAAAC3Nza", got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewKeyPairIsOpenSSHEd25519(t *testing.T) {
	k, err := newKeyPair("root@web1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(k.Private), "-----BEGIN OPENSSH PRIVATE KEY-----") {
		t.Errorf("private key is not in OpenSSH format: %.40q", k.Private)
	}
	if f := strings.Fields(k.Public); len(f) != 3 || f[0] != "ssh-ed25519" || f[2] != "root@web1" {
		t.Errorf("public key line = %q", k.Public)
	}
}

func TestSSHConfigGolden(t *testing.T) {
	golden(t, "ssh_config", renderSSHConfig("/run/shoal-lab/id_ed25519", "/run/shoal-lab/known_hosts", exampleHosts()))
}

func TestSSHConfigQuotesPathsWithBlanks(t *testing.T) {
	got := renderSSHConfig("/tmp/my lab/id_ed25519", "/tmp/my lab/known_hosts", exampleHosts()[:1])
	if !strings.Contains(got, `IdentityFile "/tmp/my lab/id_ed25519"`) || !strings.Contains(got, `UserKnownHostsFile "/tmp/my lab/known_hosts"`) {
		t.Errorf("paths with blanks not quoted:\n%s", got)
	}
}

func TestEtcHostsGolden(t *testing.T) {
	golden(t, "etc_hosts", renderEtcHosts("10.77.0.1", exampleHosts()))
}

func TestSSHDConfigGolden(t *testing.T) {
	golden(t, "sshd_config", renderSSHDConfig("10.77.0.11"))
}

func TestStaticNeighbours(t *testing.T) {
	want := []string{"neigh replace 10.77.0.1 lladdr 02:00:0a:4d:00:01 dev eth0 nud permanent"}
	if diff := cmp.Diff(want, staticNeighbours("eth0", []string{"10.77.0.1"})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestProcStartOfThisProcess(t *testing.T) {
	start, zombie, ok := procStart(os.Getpid())
	if !ok || start == 0 || zombie {
		t.Errorf("procStart(self) = %d, %v, %v; want a start time, not a zombie", start, zombie, ok)
	}
	if _, _, ok := procStart(0); ok {
		t.Error("procStart(0) ok, want not found")
	}
}
