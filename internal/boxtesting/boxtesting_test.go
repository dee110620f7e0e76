package boxtesting

import (
	"testing"

	"github.com/goxen/goxen/box"
)

// Only the two states a correct CPU cannot reach are blamed on the test
// bed; a crash of the guest's own making never is.
func TestPlatformFault(t *testing.T) {
	for _, tc := range []struct {
		r    box.Result
		want bool
	}{
		{box.Result{Outcome: box.Crashed, FaultInXen: true}, true},
		{box.Result{Outcome: box.Crashed, Console: "busy\ngoxen: platform fault: an event upcall was delivered again ..."}, true},
		{box.Result{Outcome: box.Crashed, Detail: "triple fault; xl state ---sr-; rip 00000000002b2c25"}, false},
		{box.Result{Outcome: box.Crashed, Console: "fatal error: runtime: split stack overflow"}, false},
		{box.Result{Outcome: box.Timeout, Console: "goxen: platform fault: "}, false},
		{box.Result{Outcome: box.PoweredOff, FaultInXen: true}, false},
	} {
		if got := PlatformFault(&tc.r) != ""; got != tc.want {
			t.Errorf("PlatformFault(%+v) = %v, want %v", tc.r, got, tc.want)
		}
	}
}
