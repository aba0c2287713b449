package transport

import (
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Conn is one SSH connection to a node. Every Run opens a new session on
// it; at most Options.MaxSessions run at once, the rest queue.
type Conn struct {
	node  string
	label string // "web1 (root@10.0.0.11:22)"
	user  string // the login user, for messages
	sudo  bool

	client       *ssh.Client
	releaseJumps func()        // lets go of the jump host connections, if any
	dials        int           // SSH connections opened to reach the node
	slots        chan struct{} // session semaphore

	sessions atomic.Int64

	mu     sync.Mutex
	lost   error // why the connection died, nil while it is up or after Close
	closed bool
	done   chan struct{} // closed by Close or when the connection is lost
}

var _ Host = (*Conn)(nil)

func newConn(t Target, dest endpoint, client *ssh.Client, releaseJumps func(), dials int, o Options) *Conn {
	c := &Conn{
		node:         t.Node,
		label:        fmt.Sprintf("%s (%s)", t.Node, dest),
		user:         dest.user,
		sudo:         t.Sudo,
		client:       client,
		releaseJumps: sync.OnceFunc(releaseJumps),
		dials:        dials,
		slots:        make(chan struct{}, o.maxSessions()),
		done:         make(chan struct{}),
	}
	go c.watch()
	go c.keepAlive(dest.keepAlive, dest.keepAliveMax)
	return c
}

// Name is the node's name.
func (c *Conn) Name() string { return c.node }

// Dials counts the SSH connections opened to reach the node: one, plus one
// per jump host this node was the first of its run to need. It does not
// change after Dial.
func (c *Conn) Dials() int { return c.dials }

// Sessions counts the sessions opened on the connection so far.
func (c *Conn) Sessions() int { return int(c.sessions.Load()) }

// Close closes the connection, and those to its jump hosts once no other
// node of the run uses them.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	alreadyLost := c.lost != nil
	c.mu.Unlock()
	if !alreadyLost {
		close(c.done)
	}
	err := c.client.Close()
	c.releaseJumps()
	if err != nil && !alreadyLost && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("closing connection to %s: %w", c.label, err)
	}
	return nil
}

// lose records why the connection died and tears it down, so queued and
// later Runs fail at once instead of hanging.
func (c *Conn) lose(why error) {
	c.mu.Lock()
	if c.closed || c.lost != nil {
		c.mu.Unlock()
		return
	}
	c.lost = why
	c.mu.Unlock()
	close(c.done)
	c.client.Close()
	c.releaseJumps()
}

// broken returns the error a Run gets on a connection that is gone.
func (c *Conn) broken() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.lost != nil:
		return fmt.Errorf("%s: connection lost: %w", c.label, c.lost)
	case c.closed:
		return fmt.Errorf("%s: connection already closed", c.label)
	}
	return nil
}

// watch notices the peer or the network dropping the connection.
func (c *Conn) watch() {
	err := c.client.Wait()
	if err == nil {
		err = errors.New("closed by the server")
	}
	c.lose(err)
}

// keepAlive probes the server every interval; a probe not answered within
// countMax intervals (ServerAliveCountMax) means the peer is dead; with
// countMax 0 probes never give up, as in OpenSSH. The margin keeps a
// connection busy streaming a large tree, on a loaded host, from being
// mistaken for a dead one.
func (c *Conn) keepAlive(interval time.Duration, countMax int) {
	patience := time.Duration(countMax) * interval
	if countMax <= 0 {
		patience = time.Duration(math.MaxInt64)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ticker.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		timeout := time.NewTimer(patience)
		select {
		case err := <-reply:
			timeout.Stop()
			if err != nil {
				c.lose(fmt.Errorf("keepalive: %w", err))
				return
			}
		case <-timeout.C:
			c.lose(fmt.Errorf("no keepalive reply within %s", patience))
			return
		case <-c.done:
			timeout.Stop()
			return
		}
	}
}
