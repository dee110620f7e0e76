package pv

import "testing"

func TestTrapReport(t *testing.T) {
	frame := []uint64{0x11, 0x22, 0x2, 0x401234, 0xe033, 0x10246, 0x7ff000, 0xe02b}
	if frameWords(14, true) != 8 || frameWords(6, false) != 7 || frameWords(vecFailsafe, false) != 11 {
		t.Error("frameWords")
	}
	tr := decodeFrame(14, true, frame)
	tr.CR2, tr.HaveCR2 = 0x8, true
	var b [256]byte
	if got, want := string(tr.Append(b[:0])), "PV trap 14 #PF page fault, error 0x2, RIP 0x401234, CR2 0x8, RSP 0x7ff000"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// No error code: RIP is the third word.
	tr = decodeFrame(6, false, frame[:7])
	if got, want := string(tr.Append(b[:0])), "PV trap 6 #UD invalid opcode, RIP 0x2, RSP 0x10246"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// The failsafe frame has the data segment selectors before RIP.
	fs := []uint64{0x11, 0x22, 0x2b, 0x2b, 0, 0, 0x401000, 0xe033, 0x246, 0x7fe000, 0xe02b}
	tr = decodeFrame(vecFailsafe, false, fs)
	if tr.RIP != 0x401000 || tr.RSP != 0x7fe000 {
		t.Errorf("failsafe frame: %+v", tr)
	}
	tr = Trap{Vector: 14, HasErr: true}
	if got, want := string(tr.Append(b[:0])), "PV trap 14 #PF page fault, error 0x0, RIP 0x0, CR2 unknown (no shared info yet), RSP 0x0"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for v, want := range map[uint64]string{vecEvent: "PV trap 32 event callback with events masked, RIP 0x0, RSP 0x0",
		vecFailsafe: "PV trap 33 failsafe callback (a bad segment on return), RIP 0x0, RSP 0x0", 99: "PV trap 99 unknown, RIP 0x0, RSP 0x0"} {
		tr = Trap{Vector: v}
		if got := string(tr.Append(b[:0])); got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
	if n := testing.AllocsPerRun(5, func() { tr.Append(b[:0]) }); n != 0 {
		t.Errorf("Append allocates %v times", n)
	}
}

func TestHasWord(t *testing.T) {
	for in, want := range map[string]bool{
		"goxen.pv-fault": true, "a goxen.pv-fault b": true, "  goxen.pv-fault": true,
		"goxen.pv-faults": false, "xgoxen.pv-fault": false, "": false, "goxen.pv": false,
	} {
		if got := hasWord([]byte(in), DebugFault); got != want {
			t.Errorf("hasWord(%q) = %v", in, got)
		}
	}
	if n := testing.AllocsPerRun(5, func() { hasWord([]byte("a b goxen.pv-fault"), DebugFault) }); n != 0 {
		t.Errorf("hasWord allocates %v times", n)
	}
}
