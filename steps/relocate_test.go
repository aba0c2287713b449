package steps

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

func TestRelocateDiff(t *testing.T) {
	const (
		L  = "/var/www/dolphin/media"
		S  = "/mnt/nas/community/media"
		SP = "/mnt/nas/community"
	)
	// local dev 1; storage dev 9 unless a case says otherwise
	type world struct {
		local, shared, old, partial, parent string
		mounts, free                        string
	}
	base := world{local: absentOut, shared: absentOut, old: absentOut, partial: absentOut,
		parent: dirOut(1, 0, 0, 9), mounts: sshfsMountTable("/mnt/nas"), free: "1099511627776"}
	with := func(edit func(*world)) world { w := base; edit(&w); return w }
	tests := []struct {
		name  string
		step  Relocate
		world world
		want  plan.Change
	}{
		{"linked", Relocate{}, with(func(w *world) { w.local, w.shared = linkOut(S), dirOut(3, 10, 100, 9) }),
			plan.Change{Action: plan.NoOp, Reason: "media already links to " + S, Payload: state("linked")}},
		{"relative link counts", Relocate{}, with(func(w *world) { w.local, w.shared = linkOut("../../../mnt/nas/community/media"), dirOut(3, 10, 100, 9) }),
			plan.Change{Action: plan.NoOp, Reason: "media already links to " + S, Payload: state("linked")}},
		{"move across filesystems", Relocate{}, with(func(w *world) { w.local = dirOut(3, 1204, 61<<20, 1) }),
			plan.Change{Action: plan.Create, Summary: "move 1,204 files (61 MiB) to " + S + " and link",
				Total: plan.Progress{Files: 1204, Bytes: 61 << 20}, Payload: state("copy")}},
		{"symlinks leading out", Relocate{}, with(func(w *world) {
			w.local = dirOut(3, 4, 100, 1) + " 3\nevil\t/etc/hostname\nsub/up\t../../../../etc/shadow\n"
		}),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: "media holds 3 symlinks whose target is absolute or has a \"..\" component: " +
				"they may lead out of it, and sshfs cannot read them back, so shoal moves no such link; remove them, or replace each with a copy of what it points to",
				Details: []string{"media/evil -> /etc/hostname", "media/sub/up -> ../../../../etc/shadow", "… and 1 more"}}},
		{"more than the storage holds", Relocate{}, with(func(w *world) { w.local, w.free = dirOut(3, 1204, 61<<20, 1), "1048576" }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"),
				Reason: "media holds 1,204 files (61 MiB) but the storage has 1.0 MiB free at " + SP + ": make room on it first"}},
		{"move within a filesystem", Relocate{}, with(func(w *world) { w.local = dirOut(1, 1, 10, 9) }),
			plan.Change{Action: plan.Create, Summary: "move 1 file (10 B) to " + S + " (rename) and link",
				Total: plan.Progress{Files: 1, Bytes: 10}, Payload: state("rename")}},
		{"forced copy", Relocate{ForceCopy: true}, with(func(w *world) { w.local = dirOut(1, 1, 10, 9) }),
			plan.Change{Action: plan.Create, Summary: "move 1 file (10 B) to " + S + " and link",
				Total: plan.Progress{Files: 1, Bytes: 10}, Payload: state("copy")}},
		{"into an empty shared folder", Relocate{}, with(func(w *world) { w.local, w.shared = dirOut(1, 2, 2048, 1), dirOut(0, 0, 0, 9) }),
			plan.Change{Action: plan.Create, Summary: "move 2 files (2.0 KiB) to " + S + " and link",
				Total: plan.Progress{Files: 2, Bytes: 2048}, Payload: state("copy")}},
		{"a: resume copy", Relocate{}, with(func(w *world) { w.local, w.partial = dirOut(1, 2, 2048, 1), dirOut(1, 1, 10, 9) }),
			plan.Change{Action: plan.Update, Summary: "resume interrupted move: copy 2 files (2.0 KiB) to " + S + " again, verify and link",
				Total: plan.Progress{Files: 2, Bytes: 2048}, Payload: state("copy")}},
		{"b: finish partial", Relocate{}, with(func(w *world) { w.old, w.partial = dirOut(1, 2, 2048, 1), dirOut(1, 2, 2048, 9) }),
			plan.Change{Action: plan.Update, Summary: "finish interrupted move: verify " + S + ".shoal-partial against " + L + ".shoal-old, put it in place and link",
				Payload: state("finish-partial")}},
		{"c: finish shared", Relocate{}, with(func(w *world) { w.old, w.shared = dirOut(1, 2, 2048, 1), dirOut(1, 2, 2048, 9) }),
			plan.Change{Action: plan.Update, Summary: "finish interrupted move: verify " + S + " against " + L + ".shoal-old, link and remove the old copy",
				Payload: state("finish-shared")}},
		{"d: clean old", Relocate{}, with(func(w *world) { w.local, w.old, w.shared = linkOut(S), dirOut(1, 2, 2048, 1), dirOut(1, 2, 2048, 9) }),
			plan.Change{Action: plan.Update, Summary: "finish interrupted move: verify " + L + ".shoal-old against " + S + ", then remove it",
				Payload: state("clean-old")}},
		{"replica: link", Relocate{}, with(func(w *world) { w.shared = dirOut(4, 9, 99, 9) }),
			plan.Change{Action: plan.Create, Summary: "link media to " + S, Payload: state("link")}},
		{"replica: empty folder", Relocate{}, with(func(w *world) { w.local, w.shared = dirOut(0, 0, 0, 1), dirOut(4, 9, 99, 9) }),
			plan.Change{Action: plan.Create, Summary: "replace empty media with a link to " + S, Payload: state("link")}},
		{"replica while the primary's move is under way", Relocate{Replica: true}, with(func(w *world) { w.partial = dirOut(1, 2, 2048, 9) }),
			plan.Change{Action: plan.Create, Summary: "link media to " + S + " (the primary is moving its data there)", Payload: state("link")}},
		{"replica linked while the primary's move is under way", Relocate{Replica: true}, with(func(w *world) { w.local, w.partial = linkOut(S), dirOut(1, 2, 2048, 9) }),
			plan.Change{Action: plan.NoOp, Reason: "media links to " + S + "; the primary's move into it is still under way", Payload: state("linked")}},
		{"replica with data while the primary's move is under way", Relocate{Replica: true}, with(func(w *world) { w.local, w.partial = dirOut(1, 3, 30, 1), dirOut(1, 2, 2048, 9) }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: L + " holds data while the primary's move into " + S +
				" is still under way (" + S + ".shoal-partial): run again once it has finished"}},
		{"primary: a partial copy without its source", Relocate{}, with(func(w *world) { w.partial = dirOut(1, 2, 2048, 9) }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: S + ".shoal-partial holds a partial copy but " + L + " and " + L + ".shoal-old are gone: check it and remove it"}},
		{"nothing anywhere", Relocate{}, base,
			plan.Change{Action: plan.Create, Summary: "create " + S + " and link media to it", Payload: state("create-link")}},
		{"both hold data", Relocate{}, with(func(w *world) { w.local, w.shared = dirOut(2, 12, 3<<20, 1), dirOut(5, 40, 10<<20, 9) }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: L + " holds 12 files (3.0 MiB) and " + S +
				` holds 40 files (10 MiB); empty one of them or set on_conflict = "merge"`}},
		{"both hold data, merge", Relocate{Merge: true}, with(func(w *world) { w.local, w.shared = dirOut(2, 12, 3<<20, 1), dirOut(5, 40, 10<<20, 9) }),
			plan.Change{Action: plan.Update, Payload: state("merge"), Total: plan.Progress{Files: 12, Bytes: 3 << 20},
				Summary: "merge 12 files (3.0 MiB) from media into " + S + " (copy what is missing, keep differing files aside) and link"}},
		{"links elsewhere", Relocate{}, with(func(w *world) { w.local = linkOut("/srv/other") }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: L + " links to /srv/other, not to " + S}},
		{"local is a file", Relocate{}, with(func(w *world) { w.local = fileOut() }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: L + " is a file, not a folder"}},
		{"shared is a file", Relocate{}, with(func(w *world) { w.local, w.shared = dirOut(1, 1, 1, 1), fileOut() }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: S + " is a file, not a directory"}},
		{"not mounted", Relocate{}, with(func(w *world) { w.local, w.mounts = dirOut(1, 1, 1, 1), sshfsMountTable("/mnt/other") }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"),
				Reason: "storage /mnt/nas is not mounted on web1: refusing to move data into or link to a local folder"}},
		{"linked to an unmounted folder", Relocate{}, with(func(w *world) { w.local, w.shared, w.mounts = linkOut(S), dirOut(1, 1, 1, 1), "" }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"),
				Reason: "storage /mnt/nas is not mounted on web1: refusing to move data into or link to a local folder"}},
		{"another storage mounted there", Relocate{MountCheck: "nfs"}, with(func(w *world) { w.local = dirOut(1, 1, 1, 1) }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"),
				Reason: "storage /mnt/nas is not mounted on web1 as nfs (fuse.sshfs root@10.77.0.5:/srv/nas is mounted there): refusing to move data into or link to a local folder"}},
		{"mount planned earlier", Relocate{MountPlanned: true}, with(func(w *world) { w.local, w.mounts = dirOut(1, 1, 1, 1), "" }),
			plan.Change{Action: plan.Create, Summary: "move 1 file (1 B) to " + S + " and link", Total: plan.Progress{Files: 1, Bytes: 1},
				Payload: state("copy"), Details: []string{"assumes /mnt/nas is mounted by an earlier change; apply checks it again"}}},
		{"old and local both present", Relocate{}, with(func(w *world) { w.local, w.old = dirOut(1, 1, 1, 1), dirOut(1, 1, 1, 1) }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: "both " + L + " and " + L +
				".shoal-old exist: an earlier move was interrupted and " + L + " was recreated; compare them and remove one"}},
		{"old without any copy", Relocate{}, with(func(w *world) { w.old = dirOut(1, 1, 1, 1) }),
			plan.Change{Action: plan.Conflict, Payload: state("conflict"), Reason: L + ".shoal-old holds the data of an interrupted move but " + S +
				" is missing; is the storage mounted? Rename " + L + ".shoal-old back to " + L + " to start again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := tt.step
			step.NodeName, step.Site, step.Root, step.Dir, step.Shared, step.Mount = "web1", "community", "/var/www/dolphin", "media", S, "/mnt/nas"
			w := tt.world
			src := factFixtures{"web1": {
				"mountinfo":                            section(w.mounts),
				"path:" + L:                            section(w.local),
				"path-shallow:" + S:                    section(w.shared),
				"path:" + S:                            section(w.shared),
				"path-shallow:" + L + ".shoal-old":     section(w.old),
				"path-shallow:" + S + ".shoal-partial": section(w.partial),
				"path-shallow:" + SP:                   section(w.parent),
				"path-shallow:/mnt/nas":                section(dirOut(1, 0, 0, 9)),
				"free:" + SP + " for " + L:             section(w.free),
			}}
			got, err := step.Diff(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.ID, want.Node, want.Site, want.Kind, want.Target = "web1/relocate/var/www/dolphin/media", "web1", "community", "relocate", L
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func state(s string) json.RawMessage { return json.RawMessage(`{"state":"` + s + `"}`) }

func TestRelocateFactsCoverDiff(t *testing.T) {
	step := &Relocate{NodeName: "web1", Root: "/var/www/d", Dir: "media", Shared: "/mnt/nas/d/media", Mount: "/mnt/nas"}
	src := factFixtures{"web1": {}}
	for _, nf := range step.Facts() {
		if nf.Node != "web1" {
			t.Errorf("fact %s on %s", nf.Fact.Key(), nf.Node)
		}
		src["web1"][nf.Fact.Key()] = section(absentOut)
	}
	src["web1"][facts.MountTable{}.Key()] = section(sshfsMountTable("/mnt/nas"))
	src["web1"][facts.FreeSpace{Path: "/mnt/nas/d", For: "/var/www/d/media"}.Key()] = section("1000")
	if _, err := step.Diff(context.Background(), src); err != nil {
		t.Errorf("Diff needs a fact Facts does not declare: %v", err)
	}
}

func TestRelocateRejectsBadPaths(t *testing.T) {
	for _, step := range []Relocate{
		{NodeName: "web1", Root: "/var/www/d", Dir: "../etc", Shared: "/mnt/nas/d/m", Mount: "/mnt/nas"},
		{NodeName: "web1", Root: "/var/www/d", Dir: "/media", Shared: "/mnt/nas/d/m", Mount: "/mnt/nas"},
		{NodeName: "web1", Root: "/var/www/d", Dir: "media", Shared: "/srv/elsewhere/m", Mount: "/mnt/nas"},
		{NodeName: "web1", Root: "var/www/d", Dir: "media", Shared: "/mnt/nas/d/m", Mount: "/mnt/nas"},
	} {
		if _, err := step.Diff(context.Background(), factFixtures{}); err == nil {
			t.Errorf("%+v: no error", step)
		}
	}
}
