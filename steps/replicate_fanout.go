package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-sh/shoal/plan"
)

const (
	fanOutChunk = 256 << 10 // bytes read from the primary per chunk
	feedDepth   = 32        // chunks buffered per replica (8 MiB)
)

// chunk is a piece of the primary's stream, shared read-only by every
// replica, with the files counted up to its end.
type chunk struct {
	data  []byte
	files int64
}

// feed is one replica's side of a fan-out: a buffered queue of chunks
// that the replica's session reads as its stdin.
type feed struct {
	chunks chan chunk
	abort  chan struct{} // closed when the feed is dropped
	ended  chan struct{} // closed when the replica's session has returned
	report Reporter

	mu       sync.Mutex
	err      error // why the feed was dropped
	finished bool  // the session returned: later drops do not concern it

	// for the stall watch: when the replica last took data, and whether
	// it holds a chunk it has not taken in full
	lastActive atomic.Int64
	holding    atomic.Bool

	// owned by the goroutine reading the feed
	cur       chunk
	delivered int64
}

func newFeed(report Reporter) *feed {
	f := &feed{chunks: make(chan chunk, feedDepth), abort: make(chan struct{}), ended: make(chan struct{}), report: report}
	f.lastActive.Store(time.Now().UnixNano())
	return f
}

// next waits for the next chunk; false with a nil error is the end of
// the stream.
func (f *feed) next() (bool, error) {
	select {
	case c, ok := <-f.chunks:
		if !ok {
			return false, nil
		}
		f.cur = c
		f.holding.Store(true)
		f.lastActive.Store(time.Now().UnixNano())
		return true, nil
	case <-f.abort:
		return false, f.dropErr()
	}
}

// took records that the replica took n bytes of the current chunk.
func (f *feed) took(n int) {
	f.cur.data = f.cur.data[n:]
	f.delivered += int64(n)
	f.lastActive.Store(time.Now().UnixNano())
	if len(f.cur.data) == 0 {
		f.holding.Store(false)
		f.report.Progress(plan.Progress{Bytes: f.delivered, Files: f.cur.files})
	}
}

// Read hands the replica the next bytes of the stream.
func (f *feed) Read(p []byte) (int, error) {
	if len(f.cur.data) == 0 {
		ok, err := f.next()
		if !ok {
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
	}
	n := copy(p, f.cur.data)
	f.took(n)
	return n, nil
}

// WriteTo hands the replica whole chunks (io.Copy uses it, saving a copy).
func (f *feed) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(f.cur.data) == 0 {
			if ok, err := f.next(); !ok {
				return total, err
			}
		}
		n, err := w.Write(f.cur.data)
		f.took(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// stalled reports whether data has waited for the replica longer than limit.
func (f *feed) stalled(now time.Time, limit time.Duration) bool {
	pending := len(f.chunks) > 0 || f.holding.Load()
	return pending && now.Sub(time.Unix(0, f.lastActive.Load())) > limit
}

// drop takes the replica out of the fan-out with err; the first reason wins.
func (f *feed) drop(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil && !f.finished {
		f.err = err
		close(f.abort)
	}
}

func (f *feed) dropErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// end records that the replica's session returned with err and returns
// the error that explains its outcome: why it was dropped, if it was.
func (f *feed) end(err error) error {
	f.mu.Lock()
	f.finished = true
	dropped := f.err
	f.mu.Unlock()
	close(f.ended)
	if dropped != nil {
		return dropped
	}
	return err
}

// send queues c; false means the feed is gone (dropped, or its session
// ended) and gets no more data.
func (f *feed) send(c chunk) bool {
	select {
	case f.chunks <- c:
		return true
	case <-f.abort:
		return false
	case <-f.ended:
		return false
	}
}

// watchStalls drops every feed whose replica leaves data waiting for
// longer than limit, until stop is closed.
func watchStalls(feeds []*feed, limit time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(max(limit/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			for _, f := range feeds {
				if f.stalled(now, limit) {
					f.drop(fmt.Errorf("stalled: took no data for %s", limit))
				}
			}
		}
	}
}

// errNoReplicaLeft stops the primary's stream when nobody reads it.
var errNoReplicaLeft = errors.New("every replica failed or stalled")

// fanOut is the primary's stdout: it cuts the stream into chunks and
// queues each for every live replica, so the primary is read once.
type fanOut struct {
	feeds   []*feed
	counter tarCounter
	buf     []byte
}

var (
	_ io.ReaderFrom = (*fanOut)(nil)
	_ io.WriterTo   = (*feed)(nil)
)

// ReadFrom reads the stream straight into chunk buffers (io.Copy uses it,
// saving a copy).
func (w *fanOut) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if w.buf == nil {
			w.buf = make([]byte, 0, fanOutChunk)
		}
		n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		total += int64(n)
		if len(w.buf) == cap(w.buf) || (err != nil && len(w.buf) > 0) {
			if ferr := w.flush(); ferr != nil {
				return total, ferr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Write is for writers that do not use ReadFrom.
func (w *fanOut) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, fanOutChunk)
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// flush queues the current chunk for every live replica.
func (w *fanOut) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	c := chunk{data: w.buf, files: w.counter.feed(w.buf)}
	w.buf = nil
	live := 0
	for _, f := range w.feeds {
		if f.send(c) {
			live++
		}
	}
	if live == 0 {
		return errNoReplicaLeft
	}
	return nil
}

// finish ends every feed after the primary's stream: a clean end of
// stream when it succeeded, its error otherwise.
func (w *fanOut) finish(primaryErr error) {
	if primaryErr == nil {
		if err := w.flush(); err != nil {
			primaryErr = err
		}
	}
	for _, f := range w.feeds {
		if primaryErr != nil {
			f.drop(primaryErr)
			continue
		}
		close(f.chunks)
	}
}

// runFeeds starts fn for every feed with its own context; a dropped feed
// has its context cancelled, so a stuck session is closed.
func runFeeds(ctx context.Context, feeds []*feed, fn func(ctx context.Context, i int) error) []error {
	errs := make([]error, len(feeds))
	var wg sync.WaitGroup
	for i, f := range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-f.abort:
					cancel()
				case <-fctx.Done():
				}
			}()
			errs[i] = f.end(fn(fctx, i))
		}()
	}
	wg.Wait()
	return errs
}
