package sshtest

import (
	"net"
	"sync"
)

// Freeze makes the server go silent, as a host that lost its network
// does: connections stay open but nothing more is read or answered.
func (s *Server) Freeze() {
	s.freezeOnce.Do(func() { close(s.frozen) })
}

// freezableConn stops delivering what it reads once the server is frozen,
// until it is closed.
type freezableConn struct {
	net.Conn
	frozen <-chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (c *freezableConn) Read(p []byte) (int, error) {
	select {
	case <-c.frozen:
		<-c.closed
		return 0, net.ErrClosed
	default:
	}
	n, err := c.Conn.Read(p)
	select {
	case <-c.frozen:
		<-c.closed
		return 0, net.ErrClosed
	default:
	}
	return n, err
}

func (c *freezableConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}
