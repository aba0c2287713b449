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
	return fmt.Sprintf("aegir:x:%d:%d:aegir:/var/aegir:/bin/sh\naegir:x:%d:", uid, gid, gid)
}

func group(name string, gid int) string { return fmt.Sprintf("%s:x:%d:", name, gid) }

func TestUserIDsDiff(t *testing.T) {
	type node map[string]string // fact key → output
	ref := node{"user:aegir": passwd(1000, 1000), "group:www-data": group("www-data", 33)}
	for _, tt := range []struct {
		name    string
		fix     bool
		here    node
		ref     node
		want    plan.Change
		wantErr []string
	}{
		{name: "equal", here: node{"user:aegir": passwd(1000, 1000), "group:aegir": group("aegir", 1000), "group:www-data": group("www-data", 33)},
			want: plan.Change{Action: plan.NoOp, Reason: "aegir is uid 1000 gid 1000, group www-data gid 33 as on web1"}},
		{name: "missing here", here: node{"user:aegir": "", "group:aegir": "", "group:www-data": group("www-data", 33)},
			want: plan.Change{Action: plan.Create,
				Summary: "create user aegir (uid 1000) and group aegir (gid 1000) as on web1",
				Payload: json.RawMessage(`{"uid":1000,"gid":1000,"group":"aegir","site_group":"www-data","site_gid":33,"home":"/var/aegir"}`)}},
		{name: "site group missing here", here: node{"user:aegir": passwd(1000, 1000), "group:aegir": group("aegir", 1000), "group:www-data": ""},
			want: plan.Change{Action: plan.Create,
				Summary: "create group www-data (gid 33) as on web1",
				Payload: json.RawMessage(`{"uid":1000,"gid":1000,"group":"aegir","site_group":"www-data","site_gid":33}`)}},
		{name: "different numbers", here: node{"user:aegir": passwd(1001, 1001), "group:aegir": group("aegir", 1001), "group:www-data": group("www-data", 34)},
			wantErr: []string{"site aegir: aegir uid is 1001 on web2 but 1000 on web1, aegir gid is 1001 on web2 but 1000 on web1, www-data gid is 34 on web2 but 33 on web1",
				"(aegir is uid 1000 gid 1000, group www-data gid 33 on web1)",
				"usermod -u 1000 aegir && groupmod -g 1000 aegir && groupmod -g 33 www-data && " +
					"find /var/aegir /var/aegir/config -xdev -uid 1001 -exec chown -h 1000 {} + && " +
					"find /var/aegir /var/aegir/config -xdev -gid 1001 -exec chgrp -h 1000 {} + && " +
					"find /var/aegir /var/aegir/config -xdev -gid 34 -exec chgrp -h 33 {} +",
				"set fix_ids = true"}},
		{name: "fix_ids renumbers", fix: true,
			here: node{"user:aegir": passwd(1001, 1001), "group:aegir": group("aegir", 1001), "group:www-data": group("www-data", 33),
				"ids-taken:[1000]:[1000]": "", `owned-files:["/var/aegir" "/var/aegir/config"]:[1001]:[1001]`: "42"},
			want: plan.Change{Action: plan.Update,
				Summary: "fix_ids: give aegir web1's numbers (aegir uid 1001 → 1000, aegir gid 1001 → 1000) and re-own 42 entries in /var/aegir, /var/aegir/config, never through a mount",
				Payload: json.RawMessage(`{"uid":1000,"gid":1000,"group":"aegir","site_group":"www-data","site_gid":33,` +
					`"renumber":{"uid":1001,"gid":1001,"site_gid":33,"places":["/var/aegir","/var/aegir/config"]}}`)}},
		{name: "fix_ids with the number taken", fix: true,
			here: node{"user:aegir": passwd(1001, 1000), "group:aegir": group("aegir", 1000), "group:www-data": group("www-data", 33),
				"ids-taken:[1000]:[]": "uid 1000 is user bob"},
			wantErr: []string{"fix_ids cannot give aegir the numbers it has on web1: on web2 uid 1000 is user bob"}},
		{name: "missing on the primary", here: node{"user:aegir": passwd(1000, 1000)}, ref: node{"user:aegir": "", "group:www-data": group("www-data", 33)},
			wantErr: []string{"site aegir: user aegir does not exist on web1, the primary"}},
		{name: "primary group differs", here: node{"user:aegir": "aegir:x:1000:100::/var/aegir:/bin/sh\nusers:x:100:", "group:aegir": group("aegir", 1000), "group:www-data": group("www-data", 33)},
			wantErr: []string{"aegir's primary group is users (100) on web2 but aegir on web1", "usermod -g aegir aegir"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &UserIDs{NodeName: "web2", Site: "aegir", Owner: "aegir", Group: "www-data", Reference: "web1", FixIDs: tt.fix, Places: []string{"/var/aegir/config"}}
			r := tt.ref
			if r == nil {
				r = ref
			}
			src := factFixtures{"web1": {}, "web2": {}}
			for k, v := range r {
				src["web1"][k] = section(v)
			}
			for k, v := range tt.here {
				src["web2"][k] = section(v)
			}
			got, err := s.Diff(context.Background(), src)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; plan %+v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				return
			}
			failOn(t, err)
			want := tt.want
			want.ID, want.Node, want.Kind, want.Target = "web2/users/aegir", "web2", "users", "aegir"
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if got.Action != plan.NoOp {
				goldenScript(t, "users", strings.ReplaceAll(tt.name, " ", "-"), s.ApplyScript(got))
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
