package steps

import (
	"fmt"
	"path"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// relocateState is where a relocation stands; each state but the first
// two has one script that moves it forward.
type relocateState int

const (
	relocLinked        relocateState = iota // L links to S: done
	relocConflict                           // unsafe: a human decides
	relocRename                             // same filesystem: rename L to S, link
	relocCopy                               // copy L to S.shoal-partial, verify, swap, link (also resumes)
	relocFinishPartial                      // L moved aside, partial copy complete: verify, swap, link
	relocFinishShared                       // L moved aside, S in place: verify, link
	relocCleanOld                           // linked, L.shoal-old left: verify, remove it
	relocLink                               // L absent or empty, S holds the data: link
	relocCreateLink                         // L absent or empty, no S: create S, link
	relocMerge                              // both hold data, merge allowed
)

func (r relocateState) String() string {
	return [...]string{"linked", "conflict", "rename", "copy", "finish-partial", "finish-shared",
		"clean-old", "link", "create-link", "merge"}[r]
}

type relocateDecision struct {
	state   relocateState
	action  plan.Action
	summary string
	reason  string
	details []string
	total   plan.Progress
}

// decide maps facts to the next state. assumeMounted treats the storage as
// live whatever the mount table says (Diff of a MountPlanned step only).
func (s *Relocate) decide(f relocateFacts, assumeMounted bool) relocateDecision {
	d := s.classify(f)
	if d.state != relocConflict && !assumeMounted && !s.mountLive(f.mount) {
		return s.conflict("storage %s is not mounted on %s%s: refusing to move data into or link to a local folder",
			s.Mount, s.NodeName, s.mountMismatch(f.mount))
	}
	if (d.state == relocCopy || d.state == relocMerge) && s.mountLive(f.mount) && f.free >= 0 && d.total.Bytes > f.free {
		return s.conflict("%s holds %s but the storage has %s free at %s: make room on it first",
			s.Dir, volume(d.total), binaryBytes(f.free), path.Dir(s.Shared))
	}
	return d
}

// linksOut refuses to move a folder holding symlinks that may lead out of
// it (absolute targets, ".." components), naming each one listed.
func (s *Relocate) linksOut(f relocateFacts) (relocateDecision, bool) {
	if f.local.LinksOut == 0 {
		return relocateDecision{}, false
	}
	noun, they, them := "symlinks", "they", "them"
	if f.local.LinksOut == 1 {
		noun, they, them = "symlink", "it", "it"
	}
	d := s.conflict("%s holds %d %s whose target is absolute or has a \"..\" component: %s may lead out of it, "+
		"and sshfs cannot read %s back, so shoal moves no such link; remove %s, or replace each with a copy of what it points to",
		s.Dir, f.local.LinksOut, noun, they, them, them)
	for _, l := range f.local.OutLinks {
		d.details = append(d.details, printablePath(path.Join(s.Dir, l.Path))+" -> "+printablePath(l.Target))
	}
	if n := f.local.LinksOut - len(f.local.OutLinks); n > 0 {
		d.details = append(d.details, fmt.Sprintf("… and %s more", groupThousands(int64(n))))
	}
	return d, true
}

func (s *Relocate) classify(f relocateFacts) relocateDecision {
	L, S, O, P := s.local(), s.Shared, s.old(), s.partial()
	for _, p := range []struct {
		name string
		info facts.PathInfo
	}{{S, f.shared}, {O, f.old}, {P, f.partial}} {
		if p.info.Kind != facts.PathAbsent && p.info.Kind != facts.PathDir {
			return s.conflict("%s is a %s, not a directory", p.name, p.info.Kind)
		}
	}
	sharedHasData := f.shared.Kind == facts.PathDir && !f.shared.Empty()
	switch f.local.Kind {
	case facts.PathSymlink:
		if target := s.resolve(f.local.Target); target != S {
			return s.conflict("%s links to %s, not to %s", L, f.local.Target, S)
		}
		switch {
		case f.partial.Kind == facts.PathDir && s.Replica:
			return relocateDecision{state: relocLinked, action: plan.NoOp,
				reason: fmt.Sprintf("%s links to %s; the primary's move into it is still under way", s.Dir, S)}
		case f.partial.Kind == facts.PathDir:
			return s.conflict("%s links to %s but a partial copy %s is left over: check it and remove it", L, S, P)
		case f.shared.Kind == facts.PathAbsent && f.old.Kind == facts.PathDir:
			return s.conflict("%s links to %s, which is missing, while %s holds the data", L, S, O)
		case f.shared.Kind == facts.PathAbsent:
			return relocateDecision{state: relocCreateLink, action: plan.Create,
				summary: fmt.Sprintf("create %s (%s already links to it)", S, s.Dir)}
		case f.old.Kind == facts.PathDir:
			return relocateDecision{state: relocCleanOld, action: plan.Update,
				summary: fmt.Sprintf("finish interrupted move: verify %s against %s, then remove it", O, S)}
		}
		return relocateDecision{state: relocLinked, action: plan.NoOp, reason: fmt.Sprintf("%s already links to %s", s.Dir, S)}

	case facts.PathDir:
		if f.old.Kind == facts.PathDir {
			return s.conflict("both %s and %s exist: an earlier move was interrupted and %s was recreated; compare them and remove one", L, O, L)
		}
		if sharedHasData && f.partial.Kind == facts.PathDir {
			return s.conflict("%s holds data and a partial copy %s is left over: check it and remove it", S, P)
		}
		if s.Replica && f.partial.Kind == facts.PathDir {
			if f.local.Empty() {
				return relocateDecision{state: relocLink, action: plan.Create,
					summary: fmt.Sprintf("replace empty %s with a link to %s (the primary is moving its data there)", s.Dir, S)}
			}
			return s.conflict("%s holds data while the primary's move into %s is still under way (%s): run again once it has finished", L, S, P)
		}
		if f.local.Empty() && f.partial.Kind == facts.PathAbsent {
			if f.shared.Kind == facts.PathDir {
				return relocateDecision{state: relocLink, action: plan.Create,
					summary: fmt.Sprintf("replace empty %s with a link to %s", s.Dir, S)}
			}
			return relocateDecision{state: relocCreateLink, action: plan.Create,
				summary: fmt.Sprintf("create %s and replace empty %s with a link to it", S, s.Dir)}
		}
		if d, refused := s.linksOut(f); refused {
			return d
		}
		total := plan.Progress{Files: f.local.Files, Bytes: f.local.Bytes}
		vol := volume(total)
		if sharedHasData {
			if !s.Merge {
				return s.conflict("%s holds %s and %s holds %s; empty one of them or set on_conflict = \"merge\"",
					L, vol, S, s.sharedVolume(f))
			}
			return relocateDecision{state: relocMerge, action: plan.Update, total: total,
				summary: fmt.Sprintf("merge %s from %s into %s (copy what is missing, keep differing files aside) and link", vol, s.Dir, S)}
		}
		if f.partial.Kind == facts.PathDir {
			return relocateDecision{state: relocCopy, action: plan.Update, total: total,
				summary: fmt.Sprintf("resume interrupted move: copy %s to %s again, verify and link", vol, S)}
		}
		if s.sameFilesystem(f) {
			return relocateDecision{state: relocRename, action: plan.Create, total: total,
				summary: fmt.Sprintf("move %s to %s (rename) and link", vol, S)}
		}
		return relocateDecision{state: relocCopy, action: plan.Create, total: total,
			summary: fmt.Sprintf("move %s to %s and link", vol, S)}

	case facts.PathAbsent:
		switch {
		case f.old.Kind == facts.PathDir && f.partial.Kind == facts.PathDir:
			if sharedHasData {
				return s.conflict("%s, %s and %s all hold data: check them and remove the stale one", O, P, S)
			}
			return relocateDecision{state: relocFinishPartial, action: plan.Update,
				summary: fmt.Sprintf("finish interrupted move: verify %s against %s, put it in place and link", P, O)}
		case f.old.Kind == facts.PathDir && f.shared.Kind == facts.PathDir:
			return relocateDecision{state: relocFinishShared, action: plan.Update,
				summary: fmt.Sprintf("finish interrupted move: verify %s against %s, link and remove the old copy", S, O)}
		case f.old.Kind == facts.PathDir:
			return s.conflict("%s holds the data of an interrupted move but %s is missing; is the storage mounted? "+
				"Rename %s back to %s to start again", O, S, O, L)
		case f.partial.Kind == facts.PathDir && s.Replica:
			return relocateDecision{state: relocLink, action: plan.Create,
				summary: fmt.Sprintf("link %s to %s (the primary is moving its data there)", s.Dir, S)}
		case f.partial.Kind == facts.PathDir:
			return s.conflict("%s holds a partial copy but %s and %s are gone: check it and remove it", P, L, O)
		case f.shared.Kind == facts.PathDir:
			return relocateDecision{state: relocLink, action: plan.Create, summary: fmt.Sprintf("link %s to %s", s.Dir, S)}
		}
		return relocateDecision{state: relocCreateLink, action: plan.Create,
			summary: fmt.Sprintf("create %s and link %s to it", S, s.Dir)}
	}
	return s.conflict("%s is a %s, not a folder", L, f.local.Kind)
}

// sharedVolume describes S's content for a conflict message: its size
// when Diff measured it (sharedFull), else its entries.
func (s *Relocate) sharedVolume(f relocateFacts) string {
	if f.sharedFull.Kind == facts.PathDir {
		return volume(plan.Progress{Files: f.sharedFull.Files, Bytes: f.sharedFull.Bytes})
	}
	return entries(f.shared.Entries)
}

func (s *Relocate) conflict(format string, args ...any) relocateDecision {
	return relocateDecision{state: relocConflict, action: plan.Conflict, reason: fmt.Sprintf(format, args...)}
}

// resolve makes a symlink target absolute, relative to L's folder.
func (s *Relocate) resolve(target string) string {
	if !path.IsAbs(target) {
		target = path.Join(path.Dir(s.local()), target)
	}
	return path.Clean(target)
}

// sameFilesystem reports whether L can be renamed to S: both on one device.
// Storage not mounted yet (MountPlanned) is taken to be another one.
func (s *Relocate) sameFilesystem(f relocateFacts) bool {
	if s.ForceCopy || !s.mountLive(f.mount) {
		return false
	}
	dev := f.mountRoot.Dev
	if f.sharedParent.Kind == facts.PathDir {
		dev = f.sharedParent.Dev
	}
	return f.local.Dev == dev
}

func (s *Relocate) mountMismatch(m facts.MountInfo) string {
	if !m.Mounted {
		return ""
	}
	return fmt.Sprintf(" as %s (%s %s is mounted there)", s.MountCheck, m.FSType, m.Source)
}
