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
// reconnecting, it also waits out the Closed the last Close left; once
// connected, any move away from Connected ends the stream.
func TestFrontendStep(t *testing.T) {
	cases := []struct {
		ph   phase
		back State
		want step
	}{
		{connecting, StateInitialising, stepWait},
		{connecting, StateInitWait, stepWait},
		{connecting, StateInitialised, stepWait},
		{connecting, StateConnected, stepConnect},
		{connecting, StateClosing, stepEOF},
		{connecting, StateClosed, stepEOF},
		{connecting, StateUnknown, stepEOF},
		{connecting, StateReconfiguring, stepFail},
		{connected, StateConnected, stepWait},
		{connected, StateClosing, stepEOF},
		{connected, StateClosed, stepEOF},
		{connected, StateUnknown, stepEOF},
		{connected, StateInitWait, stepEOF},
		{connected, State(42), stepFail},
		{reconnecting, StateClosed, stepWait}, // until QEMU sees Initialising
		{reconnecting, StateClosing, stepWait},
		{reconnecting, StateInitWait, stepWait},
		{reconnecting, StateConnected, stepConnect},
		{reconnecting, StateUnknown, stepEOF},
	}
	for _, c := range cases {
		if got := frontendStep(c.ph, c.back); got != c.want {
			t.Errorf("frontendStep(phase %d, %v) = %d, want %d", c.ph, c.back, got, c.want)
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
