package xenstore

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A simulated xenstored, written from docs/misc/xenstore.txt and
// xenstore-ring.txt, independent of the package's own message code (it
// frames and encodes with encoding/binary). One simServer holds the tree;
// each connection (a net.Pipe or a ring page) is a simConn with its own
// watches and outgoing queue.
//
// Reading or writing some paths under /hostile/ makes the server misbehave,
// which works the same over every transport:
//
//	/hostile/unknown-type   reply with type 99
//	/hostile/wrong-type     reply with XS_DIRECTORY to an XS_READ
//	/hostile/stray          first a reply with a req_id nobody used, then the real one
//	/hostile/oversize       a header announcing 5000 bytes: the stream is lost
//	/hostile/silence        no reply at all
//	/hostile/bad-event      a watch event for an unknown token, a malformed one, then the reply
//	/hostile/hang-up        close the connection
//	/hostile/unknown-error  XS_ERROR "EWHATEVER"
//	/hostile/bad-perms      (XS_GET_PERMS) a reply "x5"
//	/hostile/ring-<what>    (ring only) corrupt the page: see ringSim.hostile
type simServer struct {
	mu          sync.Mutex
	nodes       map[string]*simNode // absolute path -> node
	gen         uint64              // bumped by every committed change
	txs         map[uint32]*simTx
	nextTx      uint32
	conns       []*simConn
	failCommits int // the next failCommits commits fail with EAGAIN
	requests    map[uint32]int
}

type simNode struct {
	value []byte
	perms []Perm
}

type simTx struct {
	conn    *simConn
	nodes   map[string]*simNode
	gen     uint64
	changed []string
}

type simWatch struct{ path, token string }

type simConn struct {
	srv     *simServer
	domid   uint16
	watches []simWatch

	mu     sync.Mutex
	out    [][]byte // messages (or raw bytes) waiting to be sent
	closed bool
	notify chan struct{} // capacity 1: out grew or closed
	ringFn func(*Interface)
}

func newSimServer() *simServer {
	s := &simServer{nodes: map[string]*simNode{}, txs: map[uint32]*simTx{}, nextTx: 100,
		requests: map[uint32]int{}}
	s.nodes["/"] = &simNode{perms: []Perm{{AccessNone, 0}}}
	for _, p := range []string{"/local", "/local/domain", "/local/domain/0", "/local/domain/0/secret"} {
		s.nodes[p] = &simNode{perms: []Perm{{AccessNone, 0}}}
	}
	s.nodes["/local/domain/0/secret"].value = []byte("hidden")
	s.nodes["/local/domain/5"] = &simNode{perms: []Perm{{AccessNone, 5}, {AccessRead, 0}}}
	s.nodes["/local/domain/5/name"] = &simNode{value: []byte("guest"), perms: []Perm{{AccessNone, 5}}}
	s.nodes["/hostile"] = &simNode{perms: []Perm{{AccessBoth, 0}}}
	return s
}

func (s *simServer) connect(domid uint16) *simConn {
	c := &simConn{srv: s, domid: domid, notify: make(chan struct{}, 1)}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	return c
}

func (s *simServer) count(typ uint32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[typ]
}

// simMsg encodes a message independently of Header.Encode.
func simMsg(typ, req, tx uint32, payload []byte) []byte {
	b := make([]byte, 16+len(payload))
	binary.LittleEndian.PutUint32(b[0:], typ)
	binary.LittleEndian.PutUint32(b[4:], req)
	binary.LittleEndian.PutUint32(b[8:], tx)
	binary.LittleEndian.PutUint32(b[12:], uint32(len(payload)))
	copy(b[16:], payload)
	return b
}

func (c *simConn) send(b []byte) {
	c.mu.Lock()
	if !c.closed {
		c.out = append(c.out, b)
	}
	c.mu.Unlock()
	c.poke()
}

func (c *simConn) hangUp() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.poke()
}

func (c *simConn) poke() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// take returns the queued output and whether the connection is to be closed.
func (c *simConn) take() ([][]byte, bool, func(*Interface)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, fn := c.out, c.ringFn
	c.out, c.ringFn = nil, nil
	return out, c.closed, fn
}

// canon resolves a path as xenstored does; "" for an invalid one.
func (c *simConn) canon(p string) string {
	if p == "" || strings.Contains(p, "//") || (len(p) > 1 && strings.HasSuffix(p, "/")) {
		return ""
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-/_@", r)) {
			return ""
		}
	}
	if p[0] != '/' && p[0] != '@' {
		p = "/local/domain/" + strconv.Itoa(int(c.domid)) + "/" + p
	}
	return p
}

func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// isChild: p is wp or below it.
func isChild(p, wp string) bool {
	return p == wp || wp == "/" || strings.HasPrefix(p, wp+"/")
}

func (c *simConn) may(n *simNode, write bool) bool {
	if c.domid == 0 || n.perms[0].Domain == c.domid {
		return true
	}
	a := n.perms[0].Access
	for _, p := range n.perms[1:] {
		if p.Domain == c.domid {
			a = p.Access
		}
	}
	if write {
		return a.CanWrite()
	}
	return a.CanRead()
}

// simFields splits NUL-terminated strings; ok is false if the last one is
// unterminated.
func simFields(b []byte) ([]string, bool) {
	if len(b) == 0 {
		return nil, true
	}
	parts := strings.Split(string(b), "\x00")
	last := parts[len(parts)-1]
	return parts[:len(parts)-1], last == ""
}

// handle serves one request from c. Replies and events go to the conns'
// queues, in the order xenstored produces them.
func (c *simConn) handle(h Header, payload []byte) {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[h.Type]++
	reply := func(typ uint32, p []byte) { c.send(simMsg(typ, h.ReqID, h.TxID, p)) }
	fail := func(e string) { reply(XS_ERROR, []byte(e+"\x00")) }
	ok := func() { reply(h.Type, []byte("OK\x00")) }

	f, terminated := simFields(payload)
	arg := ""
	if len(f) > 0 {
		arg = f[0]
	}

	// Misbehaviour on demand.
	switch arg {
	case "/hostile/unknown-type":
		reply(99, []byte("?\x00"))
		return
	case "/hostile/wrong-type":
		reply(XS_DIRECTORY, []byte("a\x00"))
		return
	case "/hostile/stray":
		c.send(simMsg(XS_READ, h.ReqID+1000, 0, []byte("stray")))
		reply(h.Type, []byte("after-stray"))
		return
	case "/hostile/oversize":
		c.send(simMsg(XS_READ, h.ReqID, 0, nil)[:12])
		c.send([]byte{0x88, 0x13, 0, 0}) // len 5000
		c.send(bytes.Repeat([]byte("x"), 64))
		return
	case "/hostile/silence":
		return
	case "/hostile/bad-event":
		c.send(simMsg(XS_WATCH_EVENT, 0, 0, []byte("/x\x00nobody\x00")))
		c.send(simMsg(XS_WATCH_EVENT, 0, 0, []byte("no-token")))
		reply(h.Type, []byte("after-events"))
		return
	case "/hostile/hang-up":
		c.hangUp()
		return
	case "/hostile/unknown-error":
		fail("EWHATEVER")
		return
	case "/hostile/bad-perms":
		reply(h.Type, []byte("x5\x00"))
		return
	}
	if strings.HasPrefix(arg, "/hostile/ring-") {
		c.mu.Lock()
		c.ringFn = ringHostile[arg]
		c.mu.Unlock()
		reply(h.Type, []byte("corrupting"))
		return
	}

	// Which tree: the transaction's snapshot or the live one.
	nodes := s.nodes
	var tx *simTx
	if h.TxID != 0 && h.Type != XS_WATCH && h.Type != XS_UNWATCH {
		tx = s.txs[h.TxID]
		if tx == nil || tx.conn != c {
			fail("ENOENT")
			return
		}
		nodes = tx.nodes
	}
	changed := func(p string) {
		if tx != nil {
			tx.changed = append(tx.changed, p)
			return
		}
		s.gen++
		s.fire(p)
	}
	create := func(p string) { // p and missing parents, like xenstored
		var missing []string
		for q := p; nodes[q] == nil; q = parentOf(q) {
			missing = append(missing, q)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			par := nodes[parentOf(missing[i])]
			perms := append([]Perm(nil), par.perms...)
			if c.domid != 0 {
				perms[0].Domain = c.domid
			}
			nodes[missing[i]] = &simNode{perms: perms}
		}
	}
	onePath := func() (string, bool) {
		if !terminated || len(f) != 1 {
			fail("EINVAL")
			return "", false
		}
		p := c.canon(f[0])
		if p == "" || p[0] == '@' {
			fail("EINVAL")
			return "", false
		}
		return p, true
	}

	switch h.Type {
	case XS_READ, XS_DIRECTORY, XS_GET_PERMS:
		p, good := onePath()
		if !good {
			return
		}
		n := nodes[p]
		switch {
		case n == nil:
			fail("ENOENT")
		case !c.may(n, false):
			fail("EACCES")
		case h.Type == XS_READ:
			reply(h.Type, n.value)
		case h.Type == XS_GET_PERMS:
			var b []byte
			for _, pm := range n.perms {
				b = append(b, pm.String()+"\x00"...)
			}
			reply(h.Type, b)
		default:
			var names []string
			for k := range nodes {
				if k != "/" && parentOf(k) == p {
					names = append(names, k[strings.LastIndexByte(k, '/')+1:])
				}
			}
			sort.Strings(names)
			var b []byte
			for _, name := range names {
				b = append(b, name+"\x00"...)
			}
			reply(h.Type, b)
		}
	case XS_WRITE, XS_MKDIR:
		var p string
		var value []byte
		if h.Type == XS_WRITE {
			i := bytes.IndexByte(payload, 0)
			if i < 0 {
				fail("EINVAL")
				return
			}
			p, value = c.canon(string(payload[:i])), payload[i+1:]
			if p == "" {
				fail("EINVAL")
				return
			}
		} else {
			var good bool
			if p, good = onePath(); !good {
				return
			}
		}
		q := p
		for nodes[q] == nil {
			q = parentOf(q)
		}
		if !c.may(nodes[q], true) {
			fail("EACCES")
			return
		}
		existed := nodes[p] != nil
		create(p)
		if h.Type == XS_WRITE {
			nodes[p].value = append([]byte(nil), value...)
		}
		if h.Type == XS_WRITE || !existed {
			changed(p)
		}
		ok()
	case XS_RM:
		p, good := onePath()
		if !good {
			return
		}
		if nodes[p] == nil {
			if nodes[parentOf(p)] == nil {
				fail("ENOENT")
			} else {
				ok()
			}
			return
		}
		if p == "/" || !c.may(nodes[p], true) {
			fail("EACCES")
			return
		}
		for k := range nodes {
			if isChild(k, p) {
				delete(nodes, k)
			}
		}
		changed(p)
		ok()
	case XS_SET_PERMS:
		if !terminated || len(f) < 2 {
			fail("EINVAL")
			return
		}
		p := c.canon(f[0])
		n := nodes[p]
		if n == nil {
			fail("ENOENT")
			return
		}
		var perms []Perm
		for _, ps := range f[1:] {
			pm, err := ParsePerm(ps)
			if err != nil {
				fail("EINVAL")
				return
			}
			perms = append(perms, pm)
		}
		if !c.may(n, true) {
			fail("EACCES")
			return
		}
		n.perms = perms
		changed(p)
		ok()
	case XS_WATCH, XS_UNWATCH:
		if !terminated || len(f) != 2 {
			fail("EINVAL")
			return
		}
		w := simWatch{f[0], f[1]}
		if c.canon(w.path) == "" {
			fail("EINVAL")
			return
		}
		for i, x := range c.watches {
			if x == w {
				if h.Type == XS_WATCH {
					fail("EEXIST")
					return
				}
				c.watches = append(c.watches[:i], c.watches[i+1:]...)
				ok()
				return
			}
		}
		if h.Type == XS_UNWATCH {
			fail("ENOENT")
			return
		}
		c.watches = append(c.watches, w)
		ok()
		// xenstored fires once up front, after the acknowledgement.
		c.send(simMsg(XS_WATCH_EVENT, 0, 0, []byte(w.path+"\x00"+w.token+"\x00")))
	case XS_TRANSACTION_START:
		if h.TxID != 0 {
			fail("EINVAL")
			return
		}
		s.nextTx++
		t := &simTx{conn: c, nodes: map[string]*simNode{}, gen: s.gen}
		for k, n := range s.nodes {
			cp := *n
			cp.value = append([]byte(nil), n.value...)
			cp.perms = append([]Perm(nil), n.perms...)
			t.nodes[k] = &cp
		}
		s.txs[s.nextTx] = t
		reply(h.Type, []byte(strconv.Itoa(int(s.nextTx))+"\x00"))
	case XS_TRANSACTION_END:
		if !terminated || len(f) != 1 || (f[0] != "T" && f[0] != "F") {
			fail("EINVAL")
			return
		}
		if tx == nil {
			fail("ENOENT")
			return
		}
		delete(s.txs, h.TxID)
		if f[0] == "F" {
			ok()
			return
		}
		if s.failCommits > 0 {
			s.failCommits--
			fail("EAGAIN")
			return
		}
		if tx.gen != s.gen {
			fail("EAGAIN")
			return
		}
		s.nodes = tx.nodes
		s.gen++
		for _, p := range tx.changed {
			s.fire(p)
		}
		ok()
	case XS_GET_DOMAIN_PATH:
		if !terminated || len(f) != 1 {
			fail("EINVAL")
			return
		}
		id, err := strconv.ParseUint(f[0], 10, 16)
		if err != nil {
			fail("EINVAL")
			return
		}
		reply(h.Type, []byte("/local/domain/"+strconv.Itoa(int(id))+"\x00"))
	default:
		fail("ENOSYS")
	}
}

// fire sends the watch events for a change at p to every connection: to
// watches on p or above it, and to watches below p (a removed parent), which
// get their own path. s.mu is held.
func (s *simServer) fire(p string) {
	for _, c := range s.conns {
		for _, w := range c.watches {
			wp := c.canon(w.path)
			var ep string
			switch {
			case isChild(p, wp):
				ep = p
			case isChild(wp, p):
				ep = wp
			default:
				continue
			}
			if w.path[0] != '/' { // relative watch, relative event
				ep = strings.TrimPrefix(ep, "/local/domain/"+strconv.Itoa(int(c.domid))+"/")
			}
			c.send(simMsg(XS_WATCH_EVENT, 0, 0, []byte(ep+"\x00"+w.token+"\x00")))
		}
	}
}

// simReader reassembles requests from a byte stream, independently of
// Framer.
type simReader struct{ buf []byte }

func (r *simReader) add(b []byte) (msgs [][]byte) {
	r.buf = append(r.buf, b...)
	for len(r.buf) >= 16 {
		n := 16 + int(binary.LittleEndian.Uint32(r.buf[12:]))
		if len(r.buf) < n {
			break
		}
		msgs = append(msgs, append([]byte(nil), r.buf[:n]...))
		r.buf = r.buf[n:]
	}
	return msgs
}

func simHeader(m []byte) Header {
	return Header{binary.LittleEndian.Uint32(m[0:]), binary.LittleEndian.Uint32(m[4:]),
		binary.LittleEndian.Uint32(m[8:]), binary.LittleEndian.Uint32(m[12:])}
}

// servePipe runs c over one end of a net.Pipe: a reader goroutine handling
// requests and a writer goroutine sending the queue.
func (c *simConn) servePipe(conn io.ReadWriteCloser) {
	go func() {
		var r simReader
		buf := make([]byte, 1000)
		for {
			n, err := conn.Read(buf)
			for _, m := range r.add(buf[:n]) {
				c.handle(simHeader(m), m[16:])
			}
			if err != nil {
				c.hangUp()
				return
			}
		}
	}()
	go func() {
		for {
			out, closed, _ := c.take()
			for _, m := range out {
				if _, err := conn.Write(m); err != nil {
					return
				}
			}
			if closed {
				conn.Close()
				return
			}
			<-c.notify
		}
	}()
}

// newPipeSim returns a Client talking to a new simServer as domid over a
// net.Pipe.
func newPipeSim(t *testing.T, domid uint16) (*Client, *simServer) {
	t.Helper()
	s := newSimServer()
	a, b := net.Pipe()
	s.connect(domid).servePipe(b)
	cl := New(a)
	cl.SetTimeout(5 * time.Second) // a safety net; tests never wait for it
	t.Cleanup(func() { cl.Close() })
	return cl, s
}

// ringSim is the server end of a ring page: a goroutine that consumes req[]
// and produces rsp[] in pieces of random size (often single bytes), as
// xenstored would through its mapping of the page.
type ringSim struct {
	pg       *Interface
	conn     *simConn
	tr       *RingTransport
	kicks    chan struct{} // the server's event channel: capacity 1, latched
	stop     chan struct{}
	done     chan struct{}
	rng      *rand.Rand
	maxChunk int
}

// ringHostile are the page corruptions /hostile/ring-<what> asks for. They
// run on the server goroutine once the reply has been produced and read.
var ringHostile = map[string]func(*Interface){
	"/hostile/ring-bad-index": func(pg *Interface) {
		atomic.StoreUint32(&pg.RspProd, atomic.LoadUint32(&pg.RspCons)+XENSTORE_RING_SIZE+1)
	},
	"/hostile/ring-error": func(pg *Interface) {
		atomic.StoreUint32(&pg.ServerFeatures, XENSTORE_SERVER_FEATURE_ERROR)
		atomic.StoreUint32(&pg.Error, XENSTORE_ERROR_PROTO)
	},
	"/hostile/ring-reconnect": func(pg *Interface) {
		atomic.StoreUint32(&pg.Connection, XENSTORE_RECONNECT)
	},
}

// newRingSim starts a server on a fresh page whose four indices start at
// start, producing at most maxChunk bytes per step, and a Client over a
// RingTransport on it.
func newRingSim(t *testing.T, start uint32, maxChunk int, seed uint64) (*Client, *ringSim) {
	t.Helper()
	s := newSimServer()
	rs := &ringSim{pg: new(Interface), conn: s.connect(5), kicks: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}), rng: rand.New(rand.NewPCG(seed, 7)),
		maxChunk: maxChunk}
	rs.pg.ReqCons, rs.pg.ReqProd, rs.pg.RspCons, rs.pg.RspProd = start, start, start, start
	rs.pg.ServerFeatures = XENSTORE_SERVER_FEATURE_RECONNECTION
	rs.tr = NewRingTransport(rs.pg, func() {
		select {
		case rs.kicks <- struct{}{}:
		default:
		}
	})
	go rs.run()
	cl := New(rs.tr)
	cl.SetTimeout(5 * time.Second)
	t.Cleanup(func() {
		cl.Close()
		close(rs.stop)
		<-rs.done
	})
	return cl, rs
}

func (rs *ringSim) run() {
	defer close(rs.done)
	var r simReader
	var pending []byte // bytes to produce into rsp[]
	var after func(*Interface)
	pg := rs.pg
	for {
		progress := false
		// Consume requests.
		cons := atomic.LoadUint32(&pg.ReqCons)
		prod := atomic.LoadUint32(&pg.ReqProd)
		if n := prod - cons; n > 0 && n <= XENSTORE_RING_SIZE {
			b := make([]byte, n)
			for i := range b {
				b[i] = pg.Req[(cons+uint32(i))%XENSTORE_RING_SIZE]
			}
			atomic.StoreUint32(&pg.ReqCons, prod)
			rs.tr.Notify()
			for _, m := range r.add(b) {
				rs.conn.handle(simHeader(m), m[16:])
			}
			progress = true
		}
		out, closed, fn := rs.conn.take()
		for _, m := range out {
			pending = append(pending, m...)
		}
		if fn != nil {
			after = fn
		}
		if closed {
			rs.tr.Close()
		}
		// Produce replies, a random piece at a time.
		cons = atomic.LoadUint32(&pg.RspCons)
		prod = atomic.LoadUint32(&pg.RspProd)
		if free := XENSTORE_RING_SIZE - (prod - cons); len(pending) > 0 && free > 0 && free <= XENSTORE_RING_SIZE {
			k := min(len(pending), int(free), 1+rs.rng.IntN(rs.maxChunk))
			for i := 0; i < k; i++ {
				pg.Rsp[(prod+uint32(i))%XENSTORE_RING_SIZE] = pending[i]
			}
			atomic.StoreUint32(&pg.RspProd, prod+uint32(k))
			pending = pending[k:]
			rs.tr.Notify()
			progress = true
		}
		if after != nil && len(pending) == 0 &&
			atomic.LoadUint32(&pg.RspCons) == atomic.LoadUint32(&pg.RspProd) {
			after(pg)
			after = nil
			rs.tr.Notify()
		}
		if progress {
			continue
		}
		select {
		case <-rs.kicks:
		case <-rs.conn.notify:
		case <-rs.stop:
			return
		}
	}
}

// scriptConn is a transport whose reads a test scripts: each slice sent
// on reads is returned by one Read, closing reads makes Read return readErr
// (io.EOF if nil). Writes are recorded.
type scriptConn struct {
	mu      sync.Mutex
	written [][]byte
	wrote   chan struct{}
	reads   chan []byte // each is returned by one Read; close for EOF
	readErr error
	closed  chan struct{}
	once    sync.Once
}

func newScriptConn() *scriptConn {
	return &scriptConn{wrote: make(chan struct{}, 100), reads: make(chan []byte, 100), closed: make(chan struct{})}
}

func (s *scriptConn) Read(p []byte) (int, error) {
	select {
	case b, ok := <-s.reads:
		if !ok {
			if s.readErr != nil {
				return 0, s.readErr
			}
			return 0, io.EOF
		}
		return copy(p, b), nil
	case <-s.closed:
		return 0, ErrClosed
	}
}

func (s *scriptConn) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.written = append(s.written, append([]byte(nil), p...))
	s.mu.Unlock()
	s.wrote <- struct{}{}
	return len(p), nil
}

func (s *scriptConn) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}
