package facts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"github.com/shoal-sh/shoal/transport"
)

// Set gathers and caches facts per node over their Hosts.
type Set struct {
	hosts map[string]transport.Host

	mu       sync.Mutex
	cache    map[string]map[string]Section // node → key → section
	inflight map[string]chan struct{}      // node+key being fetched by a Get: others wait for it
	volatile map[string]bool               // keys of Volatile facts: left out of Digest
}

// Volatile is a Fact whose value moves on its own between two reads (a
// filesystem's free space): it informs a plan but does not make a saved
// plan stale; the step re-checks it when it applies.
type Volatile interface {
	Fact
	Volatile() bool
}

var _ Source = (*Set)(nil)

// NewSet returns a Set that reaches nodes through hosts.
func NewSet(hosts map[string]transport.Host) *Set {
	return &Set{hosts: hosts, cache: map[string]map[string]Section{}, inflight: map[string]chan struct{}{}, volatile: map[string]bool{}}
}

// Gather fetches all of fs from node in one round trip and caches them.
func (s *Set) Gather(ctx context.Context, node string, fs []Fact) error {
	h, ok := s.hosts[node]
	if !ok {
		return fmt.Errorf("no connection to node %s", node)
	}
	if len(fs) == 0 {
		return nil
	}
	var out bytes.Buffer
	if err := h.Run(ctx, transport.Command{Script: Script(fs), Stdout: &out}); err != nil {
		return fmt.Errorf("gathering facts on %s: %w", node, err)
	}
	sections, err := Parse(out.Bytes())
	if err != nil {
		return fmt.Errorf("gathering facts on %s: %w", node, err)
	}
	for _, f := range fs {
		if _, ok := sections[f.Key()]; !ok {
			return fmt.Errorf("gathering facts on %s: fact %s missing from the output", node, f.Key())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range fs {
		if v, ok := f.(Volatile); ok && v.Volatile() {
			s.volatile[f.Key()] = true
		}
	}
	if s.cache[node] == nil {
		s.cache[node] = map[string]Section{}
	}
	for k, v := range sections {
		s.cache[node][k] = v
	}
	return nil
}

// Get returns a cached fact, gathering it alone if it was not asked for;
// concurrent Gets of one missing fact share one round trip (99 replicas
// asking for the primary's manifest fetch it once).
func (s *Set) Get(ctx context.Context, node string, f Fact) (Section, error) {
	flight := node + "\x00" + f.Key()
	for {
		s.mu.Lock()
		if sec, ok := s.cache[node][f.Key()]; ok {
			s.mu.Unlock()
			return sec, nil
		}
		wait, busy := s.inflight[flight]
		if !busy {
			done := make(chan struct{})
			s.inflight[flight] = done
			s.mu.Unlock()
			err := s.Gather(ctx, node, []Fact{f})
			s.mu.Lock()
			delete(s.inflight, flight)
			close(done)
			sec := s.cache[node][f.Key()]
			s.mu.Unlock()
			return sec, err
		}
		s.mu.Unlock()
		select {
		case <-wait: // fetched (or failed: then try ourselves)
		case <-ctx.Done():
			return Section{}, ctx.Err()
		}
	}
}

// Has reports whether f is gathered for node already.
func (s *Set) Has(node string, f Fact) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.cache[node][f.Key()]
	return ok
}

// Digest is a hash of every fact gathered from node so far but the
// Volatile ones; a saved plan records it and apply refuses the plan when
// it has changed.
func (s *Set) Digest(node string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.cache[node]))
	for k := range s.cache[node] {
		if !s.volatile[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", k, s.cache[node][k].Status, s.cache[node][k].Output)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Keys lists the fact keys cached for node, sorted.
func (s *Set) Keys(node string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.cache[node]))
	for k := range s.cache[node] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
