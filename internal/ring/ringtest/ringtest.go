// Package ringtest plays the other domain of a byte ring in host tests
// (console, xenstore, vchan): it works a queue with its own arithmetic,
// the free-running index taken modulo the queue's length as the
// headers describe it, not with package ring's masks, so a mistake in
// the driver shows as a disagreement instead of cancelling out.
package ringtest

import (
	"math/rand/v2"
	"sync/atomic"
)

// Peer is the other end of one queue: its data and its two indices.
type Peer struct {
	Data       []byte
	Prod, Cons *uint32
}

// Take consumes up to max bytes (all of them if max < 0) and returns them.
func (p Peer) Take(max int) []byte {
	cons := atomic.LoadUint32(p.Cons)
	prod := atomic.LoadUint32(p.Prod)
	n := int(prod - cons)
	if max >= 0 && n > max {
		n = max
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = p.Data[(cons+uint32(i))%uint32(len(p.Data))]
	}
	atomic.StoreUint32(p.Cons, cons+uint32(n))
	return b
}

// Give produces data (the caller keeps it within the room).
func (p Peer) Give(data []byte) {
	prod := atomic.LoadUint32(p.Prod)
	for i, c := range data {
		p.Data[(prod+uint32(i))%uint32(len(p.Data))] = c
	}
	atomic.StoreUint32(p.Prod, prod+uint32(len(data)))
}

// Sim counts a producer's kicks and waits; at each wait the peer
// consumes Chunk bytes (everything if Chunk < 0) into Got. Kick and Wait
// are the producer's hooks.
type Sim struct {
	Peer         Peer
	Kicks, Waits int
	Got          []byte
	Chunk        int
}

// Kick counts a kick.
func (s *Sim) Kick() { s.Kicks++ }

// Wait counts a wait and lets the peer consume.
func (s *Sim) Wait() {
	s.Waits++
	s.Got = append(s.Got, s.Peer.Take(s.Chunk)...)
}

// Finish consumes what is left and returns all the peer got.
func (s *Sim) Finish() []byte {
	s.Got = append(s.Got, s.Peer.Take(-1)...)
	return s.Got
}

// PseudoRandom returns n bytes that depend only on seed.
func PseudoRandom(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
