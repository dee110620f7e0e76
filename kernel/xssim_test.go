package kernel

import (
	"encoding/binary"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/goxen/goxen/xenstore"
)

// xsSim is a simulated xenstored on the far side of a ring page, written
// from docs/misc/xenstore.txt and xenstore-ring.txt with its own index
// arithmetic (idx & 1023) and encoding/binary: it shares no code with the
// kernel's side. The test steps it by hand. Like xenstored it stops
// reading requests while it holds quotaOutstanding replies it could not
// write (domain_can_read, tools/xenstore/xenstored_domain.c).
type xsSim struct {
	t       *testing.T
	pg      *xenstore.Interface
	in      []byte   // request bytes not yet a whole message
	out     [][]byte // replies and events not yet in rsp[]
	nodes   map[string]string
	watches []simWatch
	txs     map[uint32]bool
	nextTx  uint32
	seen    []simReq // every request, in order
	garbled bool     // a request made no sense: framing was lost
}

type simWatch struct{ path, token, depth string }

type simReq struct {
	typ, req, tx uint32
	fields       []string
}

const quotaOutstanding = 20 // xenstored's default quota-outstanding

func newSim(t *testing.T, pg *xenstore.Interface) *xsSim {
	pg.ServerFeatures = xenstore.XENSTORE_SERVER_FEATURE_RECONNECTION
	return &xsSim{t: t, pg: pg, nodes: map[string]string{}, txs: map[uint32]bool{}, nextTx: 10}
}

// step reads what requests it may, answers them, and writes what rsp[]
// has room for. It reports whether anything moved.
func (s *xsSim) step() bool {
	moved := false
	pg := s.pg
	for len(s.out) < quotaOutstanding {
		cons, prod := atomic.LoadUint32(&pg.ReqCons), atomic.LoadUint32(&pg.ReqProd)
		if cons == prod {
			break
		}
		s.in = append(s.in, pg.Req[cons&1023])
		atomic.StoreUint32(&pg.ReqCons, cons+1)
		moved = true
		if len(s.in) >= 16 {
			n := binary.LittleEndian.Uint32(s.in[12:])
			if n > 4096 || binary.LittleEndian.Uint32(s.in[0:]) > 40 {
				s.garbled = true
				s.in = nil
				continue
			}
			if len(s.in) == 16+int(n) {
				s.handle(s.in)
				s.in = nil
			}
		}
	}
	for len(s.out) > 0 {
		cons, prod := atomic.LoadUint32(&pg.RspCons), atomic.LoadUint32(&pg.RspProd)
		if prod-cons == 1024 {
			break
		}
		m := s.out[0]
		pg.Rsp[prod&1023] = m[0]
		atomic.StoreUint32(&pg.RspProd, prod+1)
		moved = true
		if s.out[0] = m[1:]; len(s.out[0]) == 0 {
			s.out = s.out[1:]
		}
	}
	return moved
}

func (s *xsSim) reply(typ, req, tx uint32, body string) {
	s.out = append(s.out, msg(typ, req, tx, body))
}

func (s *xsSim) fire(path, token string) {
	s.out = append(s.out, msg(xenstore.XS_WATCH_EVENT, 0, 0, path+"\x00"+token+"\x00"))
}

func (s *xsSim) handle(m []byte) {
	typ, req, tx := binary.LittleEndian.Uint32(m[0:]), binary.LittleEndian.Uint32(m[4:]), binary.LittleEndian.Uint32(m[8:])
	body := string(m[16:])
	fields := strings.Split(strings.TrimSuffix(body, "\x00"), "\x00")
	s.seen = append(s.seen, simReq{typ, req, tx, fields})
	if tx != 0 && !s.txs[tx] {
		s.reply(xenstore.XS_ERROR, req, tx, "ENOENT\x00")
		return
	}
	switch typ {
	case xenstore.XS_READ:
		v, ok := s.nodes[fields[0]]
		if !ok {
			s.reply(xenstore.XS_ERROR, req, tx, "ENOENT\x00")
			return
		}
		s.reply(typ, req, tx, v)
	case xenstore.XS_WRITE:
		path, value, _ := strings.Cut(body, "\x00")
		s.nodes[path] = value
		s.reply(typ, req, tx, "OK\x00")
		for _, w := range s.watches {
			if path == w.path || strings.HasPrefix(path, w.path+"/") {
				s.fire(path, w.token)
			}
		}
	case xenstore.XS_WATCH:
		w := simWatch{path: fields[0], token: fields[1]}
		if len(fields) > 2 {
			w.depth = fields[2]
		}
		s.watches = append(s.watches, w)
		s.reply(typ, req, tx, "OK\x00")
		s.fire(w.path, w.token) // xenstored fires a new watch once
	case xenstore.XS_UNWATCH:
		for i, w := range s.watches {
			if w.path == fields[0] && w.token == fields[1] {
				s.watches = append(s.watches[:i], s.watches[i+1:]...)
				s.reply(typ, req, tx, "OK\x00")
				return
			}
		}
		s.reply(xenstore.XS_ERROR, req, tx, "ENOENT\x00")
	case xenstore.XS_TRANSACTION_START:
		s.nextTx++
		s.txs[s.nextTx] = true
		s.reply(typ, req, 0, strconv.Itoa(int(s.nextTx))+"\x00")
	case xenstore.XS_TRANSACTION_END:
		delete(s.txs, tx)
		s.reply(typ, req, tx, "OK\x00")
	default:
		s.reply(xenstore.XS_ERROR, req, tx, "EINVAL\x00")
	}
}

// reset is the server's half of a reconnect: partial packets dropped,
// both queues emptied, the connection's watches and transactions
// forgotten, the connection field back to XENSTORE_CONNECTED.
func (s *xsSim) reset() {
	s.in, s.out, s.watches = nil, nil, nil
	s.txs = map[uint32]bool{}
	pg := s.pg
	atomic.StoreUint32(&pg.ReqCons, atomic.LoadUint32(&pg.ReqProd))
	atomic.StoreUint32(&pg.RspProd, atomic.LoadUint32(&pg.RspCons))
	atomic.StoreUint32(&pg.Connection, xenstore.XENSTORE_CONNECTED)
}

// run pumps the kernel and steps the server until neither moves.
func (s *xsSim) run() {
	s.t.Helper()
	for i := 0; i < 100000; i++ {
		storePump()
		if !s.step() {
			storePump()
			if !s.step() {
				return
			}
		}
	}
	s.t.Fatal("the kernel and the server never settled")
}

// toolstackAsks does what `xl shutdown` does (libxl writes
// control/shutdown, xenstored fires the watches on it) and reports
// whether the kernel took the request.
func (s *xsSim) toolstackAsks(v string) bool {
	s.nodes["control/shutdown"] = v
	for _, w := range s.watches {
		if w.path == "control/shutdown" {
			s.fire(w.path, w.token)
		}
	}
	s.run()
	return shutdownRequested
}

// watchList lists the server's watches as "path token".
func (s *xsSim) watchList() []string {
	var l []string
	for _, w := range s.watches {
		l = append(l, w.path+" "+w.token)
	}
	return l
}

// storeResetForTest forgets every piece of the connection's state.
func storeResetForTest() {
	storeOutR, storeOutW = 0, 0
	storeReconnecting, storeReconnectAt = false, 0
	storePend = [maxStorePend]pendReq{}
	kernelReplyID, kernelReplyLen, kernelCallLost = 0, -1, false
	shutdownWatchNeeded, shutdownWatchSet, shutdownReadNeeded = false, false, false
	shutdownAckNeeded, shutdownAckSent = false, false
	shutdownRequested, shutdownReason = false, 0
	storeNews = news{}
	xbTx = [maxXbTx]xbTxEntry{}
	xbWatches = [maxXbWatch]xbWatch{}
	xbWatchUsed = 0
	storeKicked = false
}
