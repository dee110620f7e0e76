package hypercall

import (
	"testing"
	"unsafe"
)

func TestInfoLayouts(t *testing.T) {
	var a EvtchnBindInterdomainArg
	// event_channel.h: struct evtchn_bind_interdomain {domid_t remote_dom;
	// evtchn_port_t remote_port; evtchn_port_t local_port;}
	if s := unsafe.Sizeof(a); s != 12 {
		t.Errorf("evtchn_bind_interdomain: size %d, want 12", s)
	}
	if o := unsafe.Offsetof(a.RemotePort); o != 4 {
		t.Errorf("remote_port at %d, want 4", o)
	}
	if o := unsafe.Offsetof(a.LocalPort); o != 8 {
		t.Errorf("local_port at %d, want 8", o)
	}
	if XenCompileInfoSize != 144 {
		t.Errorf("xen_compile_info_t: %d bytes, want 144", XenCompileInfoSize)
	}
}

func TestDecodeCompileInfo(t *testing.T) {
	b := make([]byte, XenCompileInfoSize)
	copy(b, "gcc (Debian 12.2.0-14) 12.2.0")
	copy(b[64:], "pkg-xen-devel")
	copy(b[80:], "lists.alioth.debian.org")
	copy(b[112:], "Tue Jan  2 00:00:00 UTC 2024") // 28 bytes, NUL after
	ci, ok := DecodeCompileInfo(b)
	if !ok || ci.Compiler != "gcc (Debian 12.2.0-14) 12.2.0" || ci.By != "pkg-xen-devel" ||
		ci.Domain != "lists.alioth.debian.org" || ci.Date != "Tue Jan  2 00:00:00 UTC 2024" {
		t.Errorf("got %+v %v", ci, ok)
	}
	// A field that fills its array has no NUL: it ends at the array's end.
	for i := 64; i < 80; i++ {
		b[i] = 'x'
	}
	if ci, _ := DecodeCompileInfo(b); ci.By != "xxxxxxxxxxxxxxxx" || ci.Domain != "lists.alioth.debian.org" {
		t.Errorf("full field: %+v", ci)
	}
	if _, ok := DecodeCompileInfo(b[:143]); ok {
		t.Error("short buffer accepted")
	}
}
