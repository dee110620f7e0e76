// Package streamtest holds checks that the host tests of the streams
// built on package stream (channel, vchan) share.
package streamtest

import (
	"io"
	"testing"
)

// PeerLeft checks a stream whose peer wrote last and then went away: a
// Read gives last, the next io.EOF, and a Write fails with
// io.ErrClosedPipe.
func PeerLeft(t testing.TB, rw io.ReadWriter, last string) {
	t.Helper()
	buf := make([]byte, len(last)+8)
	if n, err := rw.Read(buf); string(buf[:n]) != last || err != nil {
		t.Fatalf("Read = %q, %v; want %q", buf[:n], err, last)
	}
	if n, err := rw.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer left = %d, %v; want EOF", n, err)
	}
	if _, err := rw.Write([]byte("x")); err != io.ErrClosedPipe {
		t.Fatalf("Write after the peer left: %v", err)
	}
}
