package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sort"
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
	// Redial opens a new connection to a node whose connection was lost
	// (close closes it), so that an apply that ends normally releases
	// every lock it took. Nil: a lock on a lost connection stays.
	Redial func(ctx context.Context, node string) (h transport.Host, close func(), err error)
}

// releaseTimeout bounds releasing the locks at the end of a run.
const releaseTimeout = 15 * time.Second

// Lock locks every host (all or nothing) and returns the function that
// releases them. mkdir is atomic, so two applies can't both win a node;
// the first node by name is taken alone before the others, so two applies
// racing for the same nodes meet there and one of them gets them all.
//
// Each lock records its holder (shown to a second apply) and a token of
// this run: unlock removes only locks that still carry the token, so it
// never releases a lock someone else took meanwhile (after --force-unlock).
func (l Locker) Lock(ctx context.Context, hosts map[string]transport.Host) (unlock func() error, err error) {
	dir := l.Dir
	if dir == "" {
		dir = DefaultLockDir
	}
	token, err := lockToken()
	if err != nil {
		return nil, err
	}
	holder := lockHolder()
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)

	var (
		mu     sync.Mutex
		locked []string
		errs   []error
	)
	take := func(names []string) {
		var wg sync.WaitGroup
		for _, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := l.lockOne(ctx, hosts[n], dir, holder, token)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				locked = append(locked, n)
			}()
		}
		wg.Wait()
	}
	if len(names) > 0 {
		take(names[:1])
		if len(errs) == 0 {
			take(names[1:])
		}
	}
	unlock = sync.OnceValue(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer cancel()
		var wg sync.WaitGroup
		failed := make([]error, len(locked))
		for i, n := range locked {
			wg.Add(1)
			go func() {
				defer wg.Done()
				failed[i] = l.release(ctx, hosts[n], dir, token)
			}()
		}
		wg.Wait()
		return errors.Join(failed...)
	})
	if len(errs) > 0 {
		return nil, errors.Join(append(errs, unlock())...)
	}
	return unlock, nil
}

// lockBody takes the lock: mkdir is atomic, so two applies can't both
// win; exit 3 with the holder's line when another holds it.
const lockBody = `if [ "$force" = true ]; then rm -rf "$d"; fi
if mkdir "$d" 2>/dev/null; then printf '%s\n' "$token" > "$d/token"; printf '%s\n' "$holder" > "$d/holder"; exit 0; fi
cat "$d/holder" 2>/dev/null || echo unknown
exit 3
`

// releaseBody removes the lock if it is still this run's.
const releaseBody = `if [ "$(cat "$d/token" 2>/dev/null)" = "$token" ]; then rm -rf "$d"; fi
`

func (l Locker) lockOne(ctx context.Context, h transport.Host, dir, holder, token string) error {
	script := shell.Script(lockBody, shell.Bind("d", dir), shell.Bind("force", fmt.Sprint(l.Force)),
		shell.Bind("token", token), shell.Bind("holder", holder))
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

// release removes h's lock if it is still this run's, over a new
// connection when h's was lost.
func (l Locker) release(ctx context.Context, h transport.Host, dir, token string) error {
	script := shell.Script(releaseBody, shell.Bind("d", dir), shell.Bind("token", token))
	err := h.Run(ctx, transport.Command{Script: script})
	if err != nil && l.Redial != nil && ctx.Err() == nil {
		again, closeAgain, dialErr := l.Redial(ctx, h.Name())
		err = dialErr
		if dialErr == nil {
			err = again.Run(ctx, transport.Command{Script: script})
			closeAgain()
		}
	}
	if err != nil {
		return fmt.Errorf("%s: releasing the apply lock: %w; once %s answers, the next apply there needs --force-unlock", h.Name(), err, h.Name())
	}
	return nil
}

// lockToken is a random token naming one run's locks.
func lockToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a lock token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func lockHolder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d since %s", name, host, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
}
