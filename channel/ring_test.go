package channel

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/goxen/goxen/console"
)

// A channel's data path is package console's Ring (its fuzz targets cover
// hostile indices); what the channel adds is keeping the error: a Ring
// reuses its *IndexError, so Read and Write hand out a copy.
func TestHostileIndicesGiveALastingError(t *testing.T) {
	var page [4096]byte
	intf := (*console.Interface)(unsafe.Pointer(&page[0]))
	r := console.Ring{Page: intf}
	intf.InProd = 5000 // more than in[] holds
	_, err := r.Read(make([]byte, 8))
	kept := ringError(err)
	var ie *console.IndexError
	if !errors.As(kept, &ie) {
		t.Fatalf("ringError(%v) = %v, want an *IndexError", err, kept)
	}
	msg := kept.Error()
	intf.InProd, intf.InCons = 9000, 1 // a second, different error from the same Ring
	r.Read(make([]byte, 8))
	if kept.Error() != msg {
		t.Fatalf("the kept error changed with the Ring's next one: %q, then %q", msg, kept.Error())
	}
	if ringError(console.ErrNoPage) != console.ErrNoPage {
		t.Fatal("other errors must pass through")
	}
}
