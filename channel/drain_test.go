package channel

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Close must not take the ring away while the backend still has bytes to
// read: a reply written just before Close reached QEMU's socket as EOF
// with nothing in it (TestChannelsAndVChan, channel b, in the box).
func TestDrainWaitsForTheBackend(t *testing.T) {
	var pending atomic.Int64
	pending.Store(17)
	ch := make(chan struct{})
	go func() {
		time.Sleep(30 * time.Millisecond)
		pending.Store(0) // the backend consumed out[] and signalled
		close(ch)
	}()
	start := time.Now()
	err := drain(context.Background(),
		func() (int, error) { return int(pending.Load()), nil },
		func() <-chan struct{} { return ch },
		func() bool { return false })
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	if time.Since(start) < 25*time.Millisecond {
		t.Fatalf("drain returned after %v, before the backend took the bytes", time.Since(start))
	}
}

// A backend that consumes without signalling is still noticed (drain
// looks again every few milliseconds).
func TestDrainWithoutSignal(t *testing.T) {
	var pending atomic.Int64
	pending.Store(5)
	go func() { time.Sleep(20 * time.Millisecond); pending.Store(0) }()
	never := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := drain(ctx, func() (int, error) { return int(pending.Load()), nil },
		func() <-chan struct{} { return never }, func() bool { return false }); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

// Bytes that can no longer be delivered are reported, never dropped in
// silence: the backend left, the time ran out, or the ring went bad.
func TestDrainReportsWhatIsLost(t *testing.T) {
	never := make(chan struct{})
	left := drain(context.Background(), func() (int, error) { return 9, nil },
		func() <-chan struct{} { return never }, func() bool { return true })
	if left == nil || !strings.Contains(left.Error(), "9 bytes") || !strings.Contains(left.Error(), "left") {
		t.Errorf("backend gone: %v", left)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	late := drain(ctx, func() (int, error) { return 3, nil },
		func() <-chan struct{} { return never }, func() bool { return false })
	if late == nil || !strings.Contains(late.Error(), "3 bytes") || !errors.Is(late, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", late)
	}
	bad := errors.New("hostile indices")
	if err := drain(context.Background(), func() (int, error) { return 0, bad },
		func() <-chan struct{} { return never }, func() bool { return false }); !errors.Is(err, bad) {
		t.Errorf("ring error: %v", err)
	}
}
