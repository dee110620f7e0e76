package channel

import "testing"

func TestParseState(t *testing.T) {
	for in, want := range map[string]State{"1": StateInitialising, "4": StateConnected, "6": StateClosed, "0": StateUnknown, "8": StateReconfigured} {
		if got, err := ParseState([]byte(in)); err != nil || got != want {
			t.Errorf("ParseState(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := ParseState(nil); err != nil || got != StateUnknown {
		t.Errorf("a missing key = %v, %v; want Unknown", got, err)
	}
	for _, bad := range []string{"", "9", "-1", "4 ", "04x", "123", "\x00"} {
		if _, err := ParseState([]byte(bad)); err == nil {
			t.Errorf("ParseState(%q) accepted", bad)
		}
	}
}

// The frontend's walk: while connecting it waits through the backend's
// start, connects on Connected, and gives up on a backend that closes;
// once connected, any move away from Connected ends the stream.
func TestFrontendStep(t *testing.T) {
	cases := []struct {
		connecting bool
		back       State
		want       step
	}{
		{true, StateInitialising, stepWait},
		{true, StateInitWait, stepWait},
		{true, StateInitialised, stepWait},
		{true, StateConnected, stepConnect},
		{true, StateClosing, stepEOF},
		{true, StateClosed, stepEOF},
		{true, StateUnknown, stepEOF},
		{true, StateReconfiguring, stepFail},
		{false, StateConnected, stepWait},
		{false, StateClosing, stepEOF},
		{false, StateClosed, stepEOF},
		{false, StateUnknown, stepEOF},
		{false, StateInitWait, stepEOF},
		{false, State(42), stepFail},
	}
	for _, c := range cases {
		if got := frontendStep(c.connecting, c.back); got != c.want {
			t.Errorf("frontendStep(connecting=%v, %v) = %d, want %d", c.connecting, c.back, got, c.want)
		}
	}
}

func FuzzParseState(f *testing.F) {
	for _, s := range []string{"4", "", "10", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseState(b)
		if err == nil && (s < 0 || s > StateReconfigured) {
			t.Fatalf("ParseState(%q) = %d", b, s)
		}
	})
}
