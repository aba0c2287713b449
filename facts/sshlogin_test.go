package facts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// What OpenSSH 9.2 prints in each case, as seen from a lab web host.
func TestParseSSHLogin(t *testing.T) {
	for _, tt := range []struct {
		name string
		out  string
		want SSHLoginResult
	}{
		{"mounted", "mounted", SSHLoginResult{}},
		{"ok", "tried 0\n", SSHLoginResult{Tried: true}},
		{"no sshfs", "no-sshfs", SSHLoginResult{Tried: true, Problem: NoSSHFS}},
		{"unknown host key", "tried 255\nHost key verification failed.",
			SSHLoginResult{Tried: true, Problem: HostKeyUnknown, Detail: "Host key verification failed."}},
		{"changed host key", `tried 255
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
The fingerprint for the ED25519 key sent by the remote host is
SHA256:/JDxWUkie4TgJi2T0WvsXUePurR69TEYk9l34jIT3hQ.
Host key for files has changed and you have requested strict checking.
Host key verification failed.`, SSHLoginResult{Tried: true, Problem: HostKeyChanged,
			Detail: "Host key verification failed.", Fingerprint: "SHA256:/JDxWUkie4TgJi2T0WvsXUePurR69TEYk9l34jIT3hQ"}},
		{"no key file", "tried 255\nno such identity: /root/.ssh/nokey: No such file or directory\nroot@files: Permission denied (publickey).",
			SSHLoginResult{Tried: true, Problem: IdentityMissing, Detail: "root@files: Permission denied (publickey)."}},
		{"key refused", "tried 255\nroot@files: Permission denied (publickey).",
			SSHLoginResult{Tried: true, Problem: KeyRefused, Detail: "root@files: Permission denied (publickey)."}},
		{"timeout", "tried 255\nssh: connect to host 10.77.1.99 port 22: Connection timed out",
			SSHLoginResult{Tried: true, Problem: ServerUnreachable, Detail: "ssh: connect to host 10.77.1.99 port 22: Connection timed out"}},
		{"unresolved", "tried 255\nssh: Could not resolve hostname nosuchhost: Temporary failure in name resolution",
			SSHLoginResult{Tried: true, Problem: ServerUnreachable, Detail: "ssh: Could not resolve hostname nosuchhost: Temporary failure in name resolution"}},
		{"other", "tried 255\nkex_exchange_identification: read: Connection reset by peer",
			SSHLoginResult{Tried: true, Problem: LoginFailed, Detail: "kex_exchange_identification: read: Connection reset by peer"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSSHLogin(Section{Output: tt.out})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
	if _, err := ParseSSHLogin(Section{Output: "garbage"}); err == nil {
		t.Error("unexpected output must be an error")
	}
}
