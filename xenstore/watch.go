package xenstore

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"sync"
)

// MaxQueuedEvents is how many events a Watch holds for a receiver that is
// not keeping up. Beyond that, events are dropped and counted (Dropped).
// Watch events only say "look here again", so a receiver that re-reads the
// state it cares about on each one loses nothing that matters by a drop as
// long as it got some later event for the same subtree.
const MaxQueuedEvents = 1024

// Watch is a watch on a path: the server sends an event whenever the path or
// anything below it is created, changed, removed or has its permissions
// changed, and once right after the watch is set up. Changes made inside a
// transaction fire when it commits. Spurious events are allowed by the
// protocol, so receivers re-read what they care about.
type Watch struct {
	c     *Client
	path  string
	token string
	ch    chan string

	mu      sync.Mutex
	queue   []string
	wake    chan struct{} // capacity 1: something was queued or the watch ended
	ended   bool
	err     error // why the watch ended
	dropped uint64
	stop    chan struct{} // closed when the watch ends
}

// Watch sets a watch on path (absolute, relative, or a special path such as
// "@releaseDomain"). The first event, for path itself, arrives right away.
func (c *Client) Watch(ctx context.Context, path string) (*Watch, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return nil, &fs.PathError{Op: "xenstore watch", Path: path, Err: ErrNUL}
	}
	w := &Watch{c: c, path: path, ch: make(chan string), wake: make(chan struct{}, 1),
		stop: make(chan struct{})}
	// Register before sending: the first event follows the reply at once.
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, &fs.PathError{Op: "xenstore watch", Path: path, Err: err}
	}
	c.nextToken++
	w.token = "goxen-" + strconv.FormatUint(c.nextToken, 10)
	c.watches[w.token] = w
	c.mu.Unlock()
	go w.pump()

	_, err := c.pathRequest(ctx, "watch", XS_WATCH, 0, path, append([]byte(w.token), 0))
	if err != nil {
		c.retire(w)
		w.end(err)
		// Unless the server refused it, the watch may exist there: undo.
		var e Errno
		if !errors.As(err, &e) && c.Err() == nil {
			go w.unwatch(context.Background())
		}
		return nil, err
	}
	return w, nil
}

// Path returns the watched path, as given to Client.Watch.
func (w *Watch) Path() string { return w.path }

// Token returns the token the Client chose for the watch.
func (w *Watch) Token() string { return w.token }

// Events returns the channel of events: each is the path that changed (the
// watched path or one below it). The channel is closed when the watch ends
// (Close, or the connection's end); Err then says why.
func (w *Watch) Events() <-chan string { return w.ch }

// Err returns nil while the watch runs, then ErrClosed after Close or the
// connection's error.
func (w *Watch) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Dropped returns how many events were dropped because more than
// MaxQueuedEvents were waiting for the receiver.
func (w *Watch) Dropped() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Close removes the watch from the server (XS_UNWATCH, bounded by the
// Client's timeout) and closes the event channel; events still queued are
// discarded. It returns the XS_UNWATCH error, if any; closing again, or
// after the connection ended, returns nil.
func (w *Watch) Close() error {
	return w.Unwatch(context.Background())
}

// Unwatch is Close with a context for the XS_UNWATCH request.
func (w *Watch) Unwatch(ctx context.Context) error {
	if !w.end(ErrClosed) {
		return nil // closed before, or the connection ended
	}
	w.c.retire(w)
	if w.c.Err() != nil {
		return nil
	}
	return w.unwatch(ctx)
}

func (w *Watch) unwatch(ctx context.Context) error {
	_, err := w.c.pathRequest(ctx, "unwatch", XS_UNWATCH, 0, w.path, append([]byte(w.token), 0))
	var e Errno
	if err == nil || errors.As(err, &e) {
		// The server has answered: it sent every event of the watch
		// before this reply, so the token can be forgotten.
		w.c.mu.Lock()
		delete(w.c.retired, w.token)
		w.c.mu.Unlock()
	}
	return err
}

// retire unregisters w; events for its token are dropped quietly from now,
// until the server confirms XS_UNWATCH (see unwatch) or, for a server that
// never does, until maxRetired later tokens have been retired: the oldest
// is then forgotten, and an event for it would be a ProtocolError.
func (c *Client) retire(w *Watch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watches[w.token] == w {
		delete(c.watches, w.token)
	}
	if c.err != nil {
		return // every event is dropped from now on
	}
	c.seq++
	c.retired[w.token] = c.seq
	if len(c.retired) <= maxRetired {
		return
	}
	oldest, first := "", c.seq
	for tok, seq := range c.retired {
		if seq <= first {
			oldest, first = tok, seq
		}
	}
	delete(c.retired, oldest)
}

// push queues an event; it never blocks the reader goroutine.
func (w *Watch) push(path string) {
	w.mu.Lock()
	if w.ended {
		w.mu.Unlock()
		return
	}
	if len(w.queue) >= MaxQueuedEvents {
		w.dropped++
	} else {
		w.queue = append(w.queue, path)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// end stops the watch with err, once; it reports whether this call did.
func (w *Watch) end(err error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return false
	}
	w.ended = true
	w.err = err
	w.queue = nil
	close(w.stop)
	return true
}

// pump moves queued events to the channel, and closes it when the watch
// ends.
func (w *Watch) pump() {
	defer close(w.ch)
	for {
		w.mu.Lock()
		if w.ended {
			w.mu.Unlock()
			return
		}
		if len(w.queue) == 0 {
			w.mu.Unlock()
			select {
			case <-w.wake:
			case <-w.stop:
			}
			continue
		}
		path := w.queue[0]
		w.queue[0] = ""
		w.queue = w.queue[1:]
		w.mu.Unlock()
		select {
		case w.ch <- path:
		case <-w.stop:
		}
	}
}
