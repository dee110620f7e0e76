package numfmt

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/goxen/goxen/internal/wbcheck"
)

var values = []uint32{0, 1, 9, 10, 15, 16, 42, 255, 256, 1023, 1024, 0x7fffffff, 0x80000000, 999999999, 1000000000, 0xfffffff0, 0xffffffff}

func TestAppendHex(t *testing.T) {
	for _, v := range values {
		want := fmt.Sprintf("> %#x", v) // no leading zeros; 0 is "0x0"
		if got := string(AppendHex([]byte("> "), v)); got != want {
			t.Errorf("AppendHex(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestAppendDec(t *testing.T) {
	for _, v := range values {
		want := "> " + strconv.FormatUint(uint64(v), 10)
		if got := string(AppendDec([]byte("> "), v)); got != want {
			t.Errorf("AppendDec(%d) = %q, want %q", v, got, want)
		}
	}
}

// Like append, the functions write into b's spare capacity without
// allocating, and grow b (a new array, b's own untouched) only past it.
func TestCapacity(t *testing.T) {
	var arr [32]byte
	b := arr[:2:12] // room for the longest: "0xffffffff", "4294967295"
	if n := testing.AllocsPerRun(100, func() {
		b = AppendHex(arr[:2:12], 0xffffffff)
		b = AppendDec(arr[:2:12], 0xffffffff)
	}); n != 0 {
		t.Errorf("%v allocations per run with room, want 0", n)
	}
	if &b[0] != &arr[0] || string(b[2:]) != "4294967295" {
		t.Errorf("with room: %q, not in the caller's array", b)
	}

	arr = [32]byte{}
	short := arr[:2:6]
	for _, got := range [][]byte{AppendHex(short, 0xffffffff), AppendDec(short, 0xffffffff)} {
		if len(got) != 12 || &got[0] == &arr[0] {
			t.Errorf("without room: %q (len %d), want a new 12-byte slice", got, len(got))
		}
	}
	if arr[6] != 0 {
		t.Errorf("wrote past the caller's capacity: %q", arr[:])
	}
}

// TestNoWriteBarriers: the kernel formats errors with these in its
// system-call handlers, where there is no P (see package wbcheck).
func TestNoWriteBarriers(t *testing.T) { wbcheck.NoBarriers(t, nil) }

func TestAppend64(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{string(AppendHex64(nil, 0)), "0x0"},
		{string(AppendHex64(nil, 0x2a)), "0x2a"},
		{string(AppendHex64(nil, 0xffffffff)), "0xffffffff"},
		{string(AppendHex64(nil, 0x100000000)), "0x100000000"},
		{string(AppendHex64([]byte("a "), 0xfeff_0000_0000_0001)), "a 0xfeff000000000001"},
		{string(AppendInt(nil, 0)), "0"},
		{string(AppendInt(nil, -38)), "-38"},
		{string(AppendInt(nil, 1<<63-1)), "9223372036854775807"},
		{string(AppendInt(nil, -1<<63)), "-9223372036854775808"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
