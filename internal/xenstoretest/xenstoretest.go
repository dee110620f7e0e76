// Package xenstoretest is a small in-memory xenstored for host tests of
// packages that take a *xenstore.Client (channel, vchan). It speaks the
// wire protocol of docs/misc/xenstore.txt over a net.Pipe, so the code
// under test runs its real Client, and it records every request, with its
// transaction id, so a test can check what was done atomically.
//
// It knows the requests those packages send: read, write, mkdir, rm,
// directory, get/set-perms, transaction start/end (writes inside a
// transaction become visible at the commit, all at once) and
// watch/unwatch (an event at registration and at every change at or below
// the watched path). Anything else gets ENOSYS. Permissions are stored,
// not enforced.
package xenstoretest

import (
	"encoding/binary"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/goxen/goxen/xenstore"
)

// Op is one request as the server saw it.
type Op struct {
	Type uint32 // xenstore.XS_*
	Tx   uint32 // the transaction id, 0 outside one
	Path string // the first field of the payload (absolute), "" for none
}

// Server is the store. Its zero value is not usable; call New.
type Server struct {
	mu      sync.Mutex
	nodes   map[string][]byte
	perms   map[string][]xenstore.Perm
	txs     map[uint32]map[string][]byte // uncommitted writes (nil value: removed)
	nextTx  uint32
	ops     []Op
	watches []watch

	// FailCommits makes the next FailCommits commits fail with EAGAIN
	// (another writer won the race), for testing a caller's retry.
	FailCommits int
}

type watch struct {
	conn        *conn
	path, token string
}

type conn struct {
	srv   *Server
	domid uint16
	mu    sync.Mutex // one message at a time on the pipe
	w     io.Writer
}

// New returns an empty store.
func New() *Server {
	return &Server{nodes: map[string][]byte{}, perms: map[string][]xenstore.Perm{},
		txs: map[uint32]map[string][]byte{}, nextTx: 1}
}

// Client connects a new xenstore.Client as domain domid: its relative
// paths are under /local/domain/<domid>, and its "domid" key reads domid.
func (s *Server) Client(domid uint16) *xenstore.Client {
	a, b := net.Pipe()
	c := &conn{srv: s, domid: domid, w: b}
	s.Set(c.home()+"/domid", strconv.Itoa(int(domid)))
	go c.serve(b)
	return xenstore.New(a)
}

// Set writes a node directly (a toolstack's setup), firing watches.
func (s *Server) Set(path, value string) {
	s.mu.Lock()
	s.nodes[path] = []byte(value)
	s.mu.Unlock()
	s.fire([]string{path})
}

// Get reads a node directly; ok is false if it does not exist.
func (s *Server) Get(path string) (value string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.nodes[path]
	return string(v), ok
}

// Perms returns the permissions last set on path.
func (s *Server) Perms(path string) []xenstore.Perm {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perms[path]
}

// Ops returns the requests seen so far, in order.
func (s *Server) Ops() []Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Op(nil), s.ops...)
}

func (c *conn) home() string { return "/local/domain/" + strconv.Itoa(int(c.domid)) }

func (c *conn) abs(p string) string {
	if p == "" || p[0] == '/' || p[0] == '@' {
		return p
	}
	return c.home() + "/" + p
}

func (c *conn) serve(rw io.ReadWriter) {
	var h [xenstore.HeaderSize]byte
	for {
		if _, err := io.ReadFull(rw, h[:]); err != nil {
			return
		}
		typ := binary.LittleEndian.Uint32(h[0:])
		id := binary.LittleEndian.Uint32(h[4:])
		tx := binary.LittleEndian.Uint32(h[8:])
		payload := make([]byte, binary.LittleEndian.Uint32(h[12:]))
		if _, err := io.ReadFull(rw, payload); err != nil {
			return
		}
		fields := strings.Split(strings.TrimSuffix(string(payload), "\x00"), "\x00")
		rtyp, reply, changed := c.srv.handle(c, typ, tx, fields, payload)
		c.send(rtyp, id, tx, reply)
		if typ == xenstore.XS_WATCH && rtyp == xenstore.XS_WATCH {
			c.send(xenstore.XS_WATCH_EVENT, 0, 0, []byte(fields[0]+"\x00"+fields[1]+"\x00"))
		}
		c.srv.fire(changed)
	}
}

func (c *conn) send(typ, id, tx uint32, payload []byte) {
	m := make([]byte, xenstore.HeaderSize+len(payload))
	binary.LittleEndian.PutUint32(m[0:], typ)
	binary.LittleEndian.PutUint32(m[4:], id)
	binary.LittleEndian.PutUint32(m[8:], tx)
	binary.LittleEndian.PutUint32(m[12:], uint32(len(payload)))
	copy(m[xenstore.HeaderSize:], payload)
	c.mu.Lock()
	c.w.Write(m)
	c.mu.Unlock()
}

var ok = []byte("OK\x00")

func fail(name string) (uint32, []byte, []string) {
	return xenstore.XS_ERROR, []byte(name + "\x00"), nil
}

// handle answers one request: the reply's type and payload, and the paths
// it changed (for watches).
func (s *Server) handle(c *conn, typ, tx uint32, f []string, payload []byte) (uint32, []byte, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := c.abs(f[0])
	if typ == xenstore.XS_TRANSACTION_START || typ == xenstore.XS_TRANSACTION_END {
		path = ""
	}
	s.ops = append(s.ops, Op{Type: typ, Tx: tx, Path: path})
	pending := s.txs[tx]
	if tx != 0 && pending == nil {
		return fail("ENOENT")
	}
	switch typ {
	case xenstore.XS_READ:
		if v, found := pending[path]; found {
			if v == nil {
				return fail("ENOENT")
			}
			return typ, v, nil
		}
		if v, found := s.nodes[path]; found {
			return typ, v, nil
		}
		return fail("ENOENT")
	case xenstore.XS_WRITE, xenstore.XS_MKDIR:
		v := []byte{}
		if typ == xenstore.XS_WRITE {
			v = payload[len(f[0])+1:]
		} else if _, found := s.nodes[path]; found {
			return typ, ok, nil
		}
		return s.store(tx, path, v)
	case xenstore.XS_RM:
		return s.store(tx, path, nil)
	case xenstore.XS_DIRECTORY:
		names := s.children(path)
		if _, found := s.nodes[path]; !found && names == nil {
			return fail("ENOENT")
		}
		return typ, names, nil
	case xenstore.XS_SET_PERMS:
		var perms []xenstore.Perm
		for _, p := range f[1:] {
			pm, err := xenstore.ParsePerm(p)
			if err != nil {
				return fail("EINVAL")
			}
			perms = append(perms, pm)
		}
		s.perms[path] = perms
		return typ, ok, nil
	case xenstore.XS_TRANSACTION_START:
		id := s.nextTx
		s.nextTx++
		s.txs[id] = map[string][]byte{}
		return typ, []byte(strconv.Itoa(int(id)) + "\x00"), nil
	case xenstore.XS_TRANSACTION_END:
		delete(s.txs, tx)
		if f[0] != "T" {
			return typ, ok, nil
		}
		if s.FailCommits > 0 {
			s.FailCommits--
			return fail("EAGAIN")
		}
		var changed []string
		for p, v := range pending {
			s.set(p, v)
			changed = append(changed, p)
		}
		return typ, ok, changed
	case xenstore.XS_WATCH:
		s.watches = append(s.watches, watch{conn: c, path: path, token: f[1]})
		return typ, ok, nil
	case xenstore.XS_UNWATCH:
		for i, w := range s.watches {
			if w.conn == c && w.path == path && w.token == f[1] {
				s.watches = append(s.watches[:i], s.watches[i+1:]...)
				break
			}
		}
		return typ, ok, nil
	}
	return fail("ENOSYS")
}

// store writes (or, with a nil v, removes) path now or at the commit.
func (s *Server) store(tx uint32, path string, v []byte) (uint32, []byte, []string) {
	typ := uint32(xenstore.XS_WRITE)
	if v == nil {
		typ = xenstore.XS_RM
	}
	if tx != 0 {
		s.txs[tx][path] = v
		return typ, ok, nil
	}
	s.set(path, v)
	return typ, ok, []string{path}
}

func (s *Server) set(path string, v []byte) {
	if v == nil {
		for p := range s.nodes {
			if p == path || strings.HasPrefix(p, path+"/") {
				delete(s.nodes, p)
			}
		}
		return
	}
	s.nodes[path] = v
}

func (s *Server) children(dir string) []byte {
	seen := map[string]bool{}
	for p := range s.nodes {
		if rest, found := strings.CutPrefix(p, dir+"/"); found {
			seen[strings.SplitN(rest, "/", 2)[0]] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	var b []byte
	for _, n := range names {
		b = append(b, n...)
		b = append(b, 0)
	}
	return b
}

// fire sends an event to every watch at or above a changed path.
func (s *Server) fire(changed []string) {
	s.mu.Lock()
	var due []watch
	var paths []string
	for _, p := range changed {
		for _, w := range s.watches {
			if p == w.path || strings.HasPrefix(p, w.path+"/") {
				due = append(due, w)
				paths = append(paths, p)
			}
		}
	}
	s.mu.Unlock()
	for i, w := range due {
		w.conn.send(xenstore.XS_WATCH_EVENT, 0, 0, []byte(paths[i]+"\x00"+w.token+"\x00"))
	}
}
