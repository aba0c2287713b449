package sshtest

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Config chooses what the server presents and accepts.
type Config struct {
	HostKeys       []ssh.Signer    // nil: one fresh ed25519 key
	AuthorizedKeys []ssh.PublicKey // nil: any public key is accepted
	UserCA         ssh.PublicKey   // user certificates it signed are accepted too
	Forwarding     bool            // accept direct-tcpip to loopback, as a ProxyJump host does
	// LikeSSHD leaves processes running when the client closes a session
	// and ignores signal requests, as OpenSSH's sshd does for sessions
	// without a pty: only the processes' stdin is closed.
	LikeSSHD bool
}

// Server is an SSH server on 127.0.0.1 running exec requests with `sh -c`.
type Server struct {
	listener   net.Listener
	config     *ssh.ServerConfig
	hostKeys   []ssh.PublicKey
	forwarding bool
	likeSSHD   bool

	mu          sync.Mutex
	conns       map[net.Conn]bool
	connections int
	sessions    int
	open        int
	peakOpen    int
	commands    []string
	users       []string
	offered     []string // fingerprints of the keys clients offered, in order
	closed      bool

	frozen     chan struct{}
	freezeOnce sync.Once

	wg sync.WaitGroup
}

// Start listens on 127.0.0.1:0 and serves until the test ends.
func Start(t testing.TB, c Config) *Server {
	t.Helper()
	if len(c.HostKeys) == 0 {
		c.HostKeys = []ssh.Signer{Ed25519Key(t)}
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the test ssh server: %v", err)
	}
	s := &Server{listener: listener, forwarding: c.Forwarding, likeSSHD: c.LikeSSHD, conns: map[net.Conn]bool{}, frozen: make(chan struct{})}
	// MaxAuthTries as sshd's default: a client offering too many keys is
	// cut off, as OpenSSH would cut it off.
	s.config = &ssh.ServerConfig{PublicKeyCallback: s.recordOffer(authorize(c.AuthorizedKeys, c.UserCA)), MaxAuthTries: 6}
	for _, k := range c.HostKeys {
		s.config.AddHostKey(k)
		s.hostKeys = append(s.hostKeys, k.PublicKey())
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

type keyCallback = func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error)

// recordOffer notes each key a client offers (x/crypto asks once per key
// and connection) before deciding on it.
func (s *Server) recordOffer(decide keyCallback) keyCallback {
	return func(c ssh.ConnMetadata, offered ssh.PublicKey) (*ssh.Permissions, error) {
		s.mu.Lock()
		s.offered = append(s.offered, ssh.FingerprintSHA256(offered))
		s.mu.Unlock()
		return decide(c, offered)
	}
}

func authorize(keys []ssh.PublicKey, userCA ssh.PublicKey) keyCallback {
	plain := func(_ ssh.ConnMetadata, offered ssh.PublicKey) (*ssh.Permissions, error) {
		if keys == nil {
			return nil, nil
		}
		for _, k := range keys {
			if bytes.Equal(k.Marshal(), offered.Marshal()) {
				return nil, nil
			}
		}
		return nil, errors.New("key not authorized")
	}
	if userCA == nil {
		return plain
	}
	checker := &ssh.CertChecker{
		IsUserAuthority: func(auth ssh.PublicKey) bool { return bytes.Equal(auth.Marshal(), userCA.Marshal()) },
		UserKeyFallback: plain,
	}
	return checker.Authenticate
}

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Host is the address the server listens on, without the port.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return s.listener.Addr().(*net.TCPAddr).Port }

// HostKeys are the public halves of the keys the server offers, in order.
func (s *Server) HostKeys() []ssh.PublicKey { return s.hostKeys }

// KnownHostsLine is a known_hosts line for key at this server's address.
func (s *Server) KnownHostsLine(key ssh.PublicKey) string {
	return "[" + s.Host() + "]:" + strconv.Itoa(s.Port()) + " " + string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(key))) + "\n"
}

// Connections counts SSH connections that completed the handshake.
func (s *Server) Connections() int { return s.read(func() int { return s.connections }) }

// OpenConnections counts TCP connections not yet closed.
func (s *Server) OpenConnections() int { return s.read(func() int { return len(s.conns) }) }

// Sessions counts session channels opened so far.
func (s *Server) Sessions() int { return s.read(func() int { return s.sessions }) }

// OpenSessions counts session channels not yet closed.
func (s *Server) OpenSessions() int { return s.read(func() int { return s.open }) }

// PeakOpenSessions is the most session channels that were open at once.
func (s *Server) PeakOpenSessions() int { return s.read(func() int { return s.peakOpen }) }

// Commands are the exec requests received, in order.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Offered are the SHA256 fingerprints of the keys clients offered, in
// order: each key once per connection, whether accepted or not.
func (s *Server) Offered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.offered...)
}

// Users are the user names of authenticated connections, in order.
func (s *Server) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.users...)
}

func (s *Server) read(f func() int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f()
}

// Close stops listening, drops every connection (as a dead peer would) and
// waits for the handlers to finish.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.listener.Close()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		tcp, err := s.listener.Accept()
		if err != nil {
			return
		}
		c := &freezableConn{Conn: tcp, frozen: s.frozen, closed: make(chan struct{})}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	conn, chans, reqs, err := ssh.NewServerConn(c, s.config)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.connections++
	s.users = append(s.users, conn.User())
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs)
	var handlers sync.WaitGroup
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				s.session(nc)
			}()
		case "direct-tcpip":
			if !s.forwarding {
				nc.Reject(ssh.Prohibited, "forwarding disabled")
				continue
			}
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				forward(nc)
			}()
		default:
			nc.Reject(ssh.UnknownChannelType, nc.ChannelType())
		}
	}
	handlers.Wait()
}
