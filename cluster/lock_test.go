package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shoal-sh/shoal/transport"
)

func TestLockIsExclusiveAndCanBeBroken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shoal.lock")
	hosts := local("web1") // Local hosts share this machine: one lock dir stands for one node
	ctx := context.Background()
	unlock, err := Locker{Dir: dir}.Lock(ctx, hosts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Locker{Dir: dir}.Lock(ctx, hosts)
	var held *LockHeldError
	if !errors.As(err, &held) || !strings.Contains(err.Error(), "pid") || !strings.Contains(err.Error(), "--force-unlock") {
		t.Fatalf("second lock: %v", err)
	}
	unlockForced, err := Locker{Dir: dir, Force: true}.Lock(ctx, hosts)
	if err != nil {
		t.Fatalf("forced: %v", err)
	}
	if err := unlock(); err != nil { // the forced lock is not ours to release
		t.Fatal(err)
	}
	if _, err := (Locker{Dir: dir}).Lock(ctx, hosts); !errors.As(err, &held) {
		t.Fatalf("the first apply's unlock released the lock that broke it: %v", err)
	}
	if err := unlockForced(); err != nil {
		t.Fatal(err)
	}
	if err := unlockForced(); err != nil { // releasing twice is harmless
		t.Fatal(err)
	}
	again, err := Locker{Dir: dir}.Lock(ctx, hosts)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if err := again(); err != nil {
		t.Fatal(err)
	}
}

// losingHost is a node whose connection dropped: every Run fails.
type losingHost struct {
	transport.Host
	lost atomic.Bool
}

func (h *losingHost) Run(ctx context.Context, cmd transport.Command) error {
	if h.lost.Load() {
		return errors.New(h.Name() + ": connection lost: EOF")
	}
	return h.Host.Run(ctx, cmd)
}

// An apply that lost a node's connection and then ends normally still
// releases that node's lock, over a new connection; only a node that
// can't be reached again keeps it, and the error says what to do.
func TestUnlockReconnectsToReleaseALostNodesLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shoal.lock")
	web1 := &losingHost{Host: &transport.Local{NodeName: "web1"}}
	ctx := context.Background()
	redials := 0
	l := Locker{Dir: dir, Redial: func(context.Context, string) (transport.Host, func(), error) {
		redials++
		return &transport.Local{NodeName: "web1"}, func() {}, nil
	}}
	unlock, err := l.Lock(ctx, map[string]transport.Host{"web1": web1})
	if err != nil {
		t.Fatal(err)
	}
	web1.lost.Store(true)
	if err := unlock(); err != nil {
		t.Fatalf("unlock after a lost connection: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) || redials != 1 {
		t.Fatalf("lock left behind (%v) after %d redials", err, redials)
	}

	web1.lost.Store(false)
	l.Redial = func(context.Context, string) (transport.Host, func(), error) {
		return nil, nil, errors.New("web1: connection refused")
	}
	unlock, err = l.Lock(ctx, map[string]transport.Host{"web1": web1})
	if err != nil {
		t.Fatal(err)
	}
	web1.lost.Store(true)
	err = unlock()
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "--force-unlock") {
		t.Errorf("unlock of an unreachable node: %v, want the cause and --force-unlock", err)
	}
}

// Two applies racing for the same nodes: one gets them all, the other
// none, so neither is left holding half.
func TestRacingLocksLeaveOneWinner(t *testing.T) {
	base := t.TempDir()
	hosts := map[string]transport.Host{}
	for _, n := range []string{"web1", "web2", "web3", "files"} {
		hosts[n] = &transport.Local{NodeName: n}
	}
	for round := 0; round < 20; round++ {
		// Local hosts share this machine: a lock dir per node, through a
		// host that rewrites the dir, stands for each node's /run.
		dir := filepath.Join(base, fmt.Sprint(round))
		perNode := map[string]transport.Host{}
		for n, h := range hosts {
			perNode[n] = dirPerNode{h, dir}
		}
		var wg sync.WaitGroup
		wins := make([]bool, 2)
		unlocks := make([]func() error, 2)
		for i := range wins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u, err := (Locker{Dir: dir}).Lock(context.Background(), perNode)
				wins[i], unlocks[i] = err == nil, u
			}()
		}
		wg.Wait()
		if wins[0] == wins[1] {
			t.Fatalf("round %d: wins %v, want exactly one", round, wins)
		}
		for _, u := range unlocks {
			if u != nil {
				if err := u(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// dirPerNode puts a node's lock dir under a folder of its own.
type dirPerNode struct {
	transport.Host
	dir string
}

func (d dirPerNode) Run(ctx context.Context, cmd transport.Command) error {
	cmd.Script = strings.ReplaceAll(cmd.Script, d.dir, d.dir+"-"+d.Name())
	return d.Host.Run(ctx, cmd)
}
