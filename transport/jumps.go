package transport

import (
	"sync"

	"golang.org/x/crypto/ssh"
)

// jumpPool shares connections to jump hosts between the nodes of one run:
// fifty nodes behind one bastion make one connection to it, not fifty
// (which sshd's MaxStartups would start refusing).
type jumpPool struct {
	mu    sync.Mutex
	chain map[string]*sharedJump // by the chain of endpoints leading to it
}

type sharedJump struct {
	ready  chan struct{} // closed once client or err is set
	client *ssh.Client
	err    error
	users  int
}

// acquire returns the connection for key, dialling it with connect if no
// one has. opened says whether this call made the connection. release
// must be called once the caller no longer needs it; the last release
// closes it. A failed dial is remembered, so the nodes behind a dead
// bastion fail alike without redialling it.
func (p *jumpPool) acquire(key string, connect func() (*ssh.Client, error)) (client *ssh.Client, opened bool, release func(), err error) {
	p.mu.Lock()
	if p.chain == nil {
		p.chain = map[string]*sharedJump{}
	}
	j, found := p.chain[key]
	if !found {
		j = &sharedJump{ready: make(chan struct{})}
		p.chain[key] = j
	}
	j.users++
	p.mu.Unlock()

	if found {
		<-j.ready
	} else {
		j.client, j.err = connect()
		close(j.ready)
	}
	release = func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		j.users--
		if j.users == 0 {
			delete(p.chain, key)
			if j.client != nil {
				j.client.Close()
			}
		}
	}
	if j.err != nil {
		release()
		return nil, false, nil, j.err
	}
	return j.client, !found, sync.OnceFunc(release), nil
}
