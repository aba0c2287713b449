package cluster

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
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
	unlockForced()
	unlock() // releasing twice is harmless
	again, err := Locker{Dir: dir}.Lock(ctx, hosts)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
