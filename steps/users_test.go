package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func passwd(uid, gid int) string {
	return fmt.Sprintf("www-data:x:%d:%d:www-data:/var/www:/usr/sbin/nologin\nwww-data:x:%d:", uid, gid, gid)
}

func TestUserIDsDiff(t *testing.T) {
	for _, tt := range []struct {
		name      string
		here, ref string
		want      plan.Change
	}{
		{"equal", passwd(33, 33), passwd(33, 33), plan.Change{Action: plan.NoOp, Reason: "www-data is uid 33 gid 33 as on web1"}},
		{"missing here", "", passwd(1001, 1002), plan.Change{Action: plan.Create,
			Summary: "create user www-data (uid 1001) and group www-data (gid 1002) as on web1",
			Payload: json.RawMessage(`{"uid":1001,"gid":1002,"group":"www-data"}`)}},
		{"different", passwd(33, 33), passwd(1001, 33), plan.Change{Action: plan.Conflict,
			Reason: "www-data is uid 33 gid 33 on web2 but uid 1001 gid 33 on web1: files on shared storage would change owner; renumber it by hand"}},
		{"missing on reference", passwd(33, 33), "", plan.Change{Action: plan.Conflict,
			Reason: "user www-data does not exist on the reference node web1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &UserIDs{NodeName: "web2", Owner: "www-data", Reference: "web1"}
			src := factFixtures{"web2": {"user:www-data": section(tt.here)}, "web1": {"user:www-data": section(tt.ref)}}
			for _, nf := range s.Facts() {
				if _, ok := src[nf.Node][nf.Fact.Key()]; !ok {
					t.Fatalf("declares %s on %s, which Diff does not read", nf.Fact.Key(), nf.Node)
				}
			}
			got, err := s.Diff(context.Background(), src)
			failOn(t, err)
			want := tt.want
			want.ID, want.Node, want.Kind, want.Target = "web2/users/www-data", "web2", "users", "www-data"
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestUserIDsRejectsOddNames(t *testing.T) {
	s := &UserIDs{NodeName: "web2", Owner: "x;reboot", Reference: "web1"}
	if _, err := s.Diff(context.Background(), factFixtures{}); err == nil {
		t.Error("accepted a user name that is not one")
	}
}

// These runs only read the accounts database: every case exits before
// groupadd or useradd.
func TestUserIDsApplyRefusesTakenIDs(t *testing.T) {
	for _, tt := range []struct {
		name, owner string
		payload     usersPayload
		wantErr     string
	}{
		{"exists with the numbers", "daemon", usersPayload{UID: 1, GID: 1, Group: "daemon"}, ""},
		{"exists with other numbers", "daemon", usersPayload{UID: 5, GID: 1, Group: "daemon"}, "user daemon exists as 1:1, not 5:1"},
		{"group name with another gid", "shoal-absent-user", usersPayload{UID: 4999, GID: 4999, Group: "root"}, "group root exists with gid 0, not 4999"},
		{"uid taken", "shoal-absent-user", usersPayload{UID: 0, GID: 0, Group: "root"}, "uid 0 is taken by user root"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &UserIDs{NodeName: "web1", Owner: tt.owner, Reference: "web0"}
			c := &plan.Change{}
			plan.SetPayload(c, tt.payload)
			err := s.Apply(context.Background(), localNode(), c, &recorder{})
			if tt.wantErr == "" {
				failOn(t, err)
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestUserIDsCreates adds a system account to this machine, so it runs
// only when SHOAL_TEST_ACCOUNTS=1.
func TestUserIDsCreates(t *testing.T) {
	if os.Getenv("SHOAL_TEST_ACCOUNTS") != "1" {
		t.Skip("set SHOAL_TEST_ACCOUNTS=1 to let this test add and remove a system account")
	}
	const name, id = "shoal-test-owner", "64123"
	t.Cleanup(func() {
		_ = exec.Command("userdel", name).Run()
		_ = exec.Command("groupdel", name).Run()
	})
	ref := fmt.Sprintf("%s:x:%s:%s::/:/bin/false\n%s:x:%s:", name, id, id, name, id)
	h := localNode()
	live := facts.NewSet(map[string]transport.Host{"web1": h})
	src := twoNodes{live: live, ref: factFixtures{"web0": {"user:" + name: section(ref)}}}
	s := &UserIDs{NodeName: "web1", Owner: name, Reference: "web0"}
	c, err := s.Diff(context.Background(), src)
	failOn(t, err)
	if c.Action != plan.Create {
		t.Fatalf("plan: %s %s %s", c.Action, c.Summary, c.Reason)
	}
	failOn(t, s.Apply(context.Background(), h, c, &recorder{}))
	src.live = facts.NewSet(map[string]transport.Host{"web1": h})
	if again, err := s.Diff(context.Background(), src); err != nil || again.Action != plan.NoOp {
		t.Errorf("plan after apply: %+v %v", again, err)
	}
}

// twoNodes answers web0 from fixtures and web1 from this machine.
type twoNodes struct {
	live *facts.Set
	ref  factFixtures
}

func (s twoNodes) Get(ctx context.Context, node string, f facts.Fact) (facts.Section, error) {
	if node == "web0" {
		return s.ref.Get(ctx, node, f)
	}
	return s.live.Get(ctx, node, f)
}
