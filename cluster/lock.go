package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// DefaultLockDir is where a node keeps its apply lock: under /run, so a
// reboot (which ends any apply) clears it.
const DefaultLockDir = "/run/shoal.lock"

// LockHeldError says who holds a node's lock.
type LockHeldError struct {
	Node   string
	Holder string // "root@laptop pid 4242 since 2026-11-22T05:01:02Z"
}

func (e *LockHeldError) Error() string {
	return fmt.Sprintf("%s: another apply holds the lock (%s); if it is gone, run again with --force-unlock", e.Node, e.Holder)
}

// Locker takes the one-apply-at-a-time lock on nodes.
type Locker struct {
	Dir   string // DefaultLockDir when ""
	Force bool   // break a lock someone else holds
}

// Lock locks every host (all or nothing) and returns the function that
// releases them. mkdir is atomic, so two applies can't both win.
func (l Locker) Lock(ctx context.Context, hosts map[string]transport.Host) (unlock func(), err error) {
	dir := l.Dir
	if dir == "" {
		dir = DefaultLockDir
	}
	holder := lockHolder()
	var (
		mu     sync.Mutex
		locked []transport.Host
		errs   []error
		wg     sync.WaitGroup
	)
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.lockOne(ctx, h, dir, holder)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			locked = append(locked, h)
		}()
	}
	wg.Wait()
	unlock = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, h := range locked {
			_ = h.Run(ctx, transport.Command{Script: "rm -rf " + shell.Quote(dir)})
		}
	}
	if len(errs) > 0 {
		unlock()
		return nil, errors.Join(errs...)
	}
	return unlock, nil
}

func (l Locker) lockOne(ctx context.Context, h transport.Host, dir, holder string) error {
	script := fmt.Sprintf(`d=%s
if [ %t = true ]; then rm -rf "$d"; fi
if mkdir "$d" 2>/dev/null; then printf '%%s\n' %s > "$d/holder"; exit 0; fi
cat "$d/holder" 2>/dev/null || echo unknown
exit 3`, shell.Quote(dir), l.Force, shell.Quote(holder))
	var out bytes.Buffer
	err := h.Run(ctx, transport.Command{Script: script, Stdout: &out})
	var exit *transport.ExitError
	if errors.As(err, &exit) && exit.Status == 3 {
		return &LockHeldError{Node: h.Name(), Holder: strings.TrimSpace(out.String())}
	}
	if err != nil {
		return fmt.Errorf("%s: taking the apply lock: %w", h.Name(), err)
	}
	return nil
}

func lockHolder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d since %s", name, host, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
}
