package vchan

import (
	"testing"
	"unsafe"

	"github.com/goxen/goxen/internal/layouttest"
)

// struct ring_shared and struct vchan_interface
// (xen/include/public/io/libxenvchan.h), read off the header: two
// ring_shared {uint32_t cons, prod}, then uint16_t left_order,
// right_order, then uint8_t cli_live, srv_live, cli_notify, srv_notify,
// then uint32_t grants[] (a flexible array: sizeof stops before it).
func TestInterfaceLayout(t *testing.T) {
	var v vchanInterface
	var r ringShared
	layouttest.Check(t, []layouttest.Struct{
		{"libxenvchan.h: struct ring_shared", unsafe.Sizeof(r), 8, []layouttest.Field{
			{"cons", unsafe.Offsetof(r.cons), 0},
			{"prod", unsafe.Offsetof(r.prod), 4},
		}},
		{"libxenvchan.h: struct vchan_interface", unsafe.Sizeof(v), 24, []layouttest.Field{
			{"left", unsafe.Offsetof(v.left), 0},
			{"right", unsafe.Offsetof(v.right), 8},
			{"left_order", unsafe.Offsetof(v.leftOrder), 16},
			{"right_order", unsafe.Offsetof(v.rightOrder), 18},
			{"cli_live", unsafe.Offsetof(v.cliLive), 20},
			{"srv_live", unsafe.Offsetof(v.srvLive), 21},
			{"cli_notify", unsafe.Offsetof(v.cliNotify), 22},
			{"srv_notify", unsafe.Offsetof(v.srvNotify), 23},
		}},
	})
	// The constants the code uses are the struct's.
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"offLeft", offLeft, 0}, {"offRight", offRight, 8},
		{"offLeftOrder", offLeftOrder, 16}, {"offRightOrd", offRightOrd, 18},
		{"offCliLive", offCliLive, 20}, {"offSrvLive", offSrvLive, 21},
		{"offCliNotify", offCliNotify, 22}, {"offSrvNotify", offSrvNotify, 23},
		{"offGrants (grants[])", offGrants, 24},
		{"offCons", offCons, 0}, {"offProd", offProd, 4},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	// liveWord's atomic word must be 4-aligned.
	if offCliLive%4 != 0 {
		t.Errorf("cli_live at %d: not the start of an aligned word", offCliLive)
	}
}
