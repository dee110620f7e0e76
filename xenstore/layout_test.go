package xenstore

import (
	"testing"
	"unsafe"
)

// Offsets and size of xs_wire.h: struct xenstore_domain_interface: char
// req[1024]; char rsp[1024]; XENSTORE_RING_IDX (uint32_t) req_cons,
// req_prod, rsp_cons, rsp_prod; uint32_t server_features, connection,
// error; and, since Xen 4.21, uint32_t evtchn_port. docs/misc/
// xenstore-ring.txt gives the same offsets (2048 ... 2072) in decimal.
func TestInterfaceLayout(t *testing.T) {
	var i Interface
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"offsetof(req)", unsafe.Offsetof(i.Req), 0x000},
		{"sizeof(req)", unsafe.Sizeof(i.Req), 1024},
		{"offsetof(rsp)", unsafe.Offsetof(i.Rsp), 0x400},
		{"sizeof(rsp)", unsafe.Sizeof(i.Rsp), 1024},
		{"offsetof(req_cons)", unsafe.Offsetof(i.ReqCons), 2048},
		{"offsetof(req_prod)", unsafe.Offsetof(i.ReqProd), 2052},
		{"offsetof(rsp_cons)", unsafe.Offsetof(i.RspCons), 2056},
		{"offsetof(rsp_prod)", unsafe.Offsetof(i.RspProd), 2060},
		{"offsetof(server_features)", unsafe.Offsetof(i.ServerFeatures), 2064},
		{"offsetof(connection)", unsafe.Offsetof(i.Connection), 2068},
		{"offsetof(error)", unsafe.Offsetof(i.Error), 2072},
		{"offsetof(evtchn_port)", unsafe.Offsetof(i.EvtchnPort), 2076},
		{"sizeof(uint32_t fields)", unsafe.Sizeof(i.Error), 4},
		{"sizeof(struct xenstore_domain_interface)", unsafe.Sizeof(i), 2080},
		{"alignof(struct xenstore_domain_interface)", unsafe.Alignof(i), 4},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if unsafe.Sizeof(i) > 4096 {
		t.Errorf("Interface (%d bytes) does not fit in one page", unsafe.Sizeof(i))
	}
}

// sizeof(struct xsd_sockmsg): four uint32_t.
func TestHeaderSize(t *testing.T) {
	if unsafe.Sizeof(Header{}) != HeaderSize || HeaderSize != 16 || MaxMessage != 4112 {
		t.Errorf("sizeof(Header)=%d HeaderSize=%d MaxMessage=%d", unsafe.Sizeof(Header{}), HeaderSize, MaxMessage)
	}
}

// The values of xs_wire.h's constants, checked against the header text
// (xen.git after 4.21: enum xsd_sockmsg_type counts from XS_CONTROL = 0,
// XS_RESET_WATCHES = XS_SET_TARGET + 2).
func TestWireConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"XS_CONTROL", XS_CONTROL, 0}, {"XS_DEBUG", XS_DEBUG, 0},
		{"XS_DIRECTORY", XS_DIRECTORY, 1}, {"XS_READ", XS_READ, 2},
		{"XS_GET_PERMS", XS_GET_PERMS, 3}, {"XS_WATCH", XS_WATCH, 4},
		{"XS_UNWATCH", XS_UNWATCH, 5}, {"XS_TRANSACTION_START", XS_TRANSACTION_START, 6},
		{"XS_TRANSACTION_END", XS_TRANSACTION_END, 7}, {"XS_INTRODUCE", XS_INTRODUCE, 8},
		{"XS_RELEASE", XS_RELEASE, 9}, {"XS_GET_DOMAIN_PATH", XS_GET_DOMAIN_PATH, 10},
		{"XS_WRITE", XS_WRITE, 11}, {"XS_MKDIR", XS_MKDIR, 12}, {"XS_RM", XS_RM, 13},
		{"XS_SET_PERMS", XS_SET_PERMS, 14}, {"XS_WATCH_EVENT", XS_WATCH_EVENT, 15},
		{"XS_ERROR", XS_ERROR, 16}, {"XS_IS_DOMAIN_INTRODUCED", XS_IS_DOMAIN_INTRODUCED, 17},
		{"XS_RESUME", XS_RESUME, 18}, {"XS_SET_TARGET", XS_SET_TARGET, 19},
		{"XS_RESET_WATCHES", XS_RESET_WATCHES, 21}, {"XS_DIRECTORY_PART", XS_DIRECTORY_PART, 22},
		{"XS_GET_FEATURE", XS_GET_FEATURE, 23}, {"XS_SET_FEATURE", XS_SET_FEATURE, 24},
		{"XS_GET_QUOTA", XS_GET_QUOTA, 25}, {"XS_SET_QUOTA", XS_SET_QUOTA, 26},
		{"XS_TYPE_COUNT", XS_TYPE_COUNT, 27}, {"XS_INVALID", XS_INVALID, 0xffff},
		{"XS_WATCH_PATH", XS_WATCH_PATH, 0}, {"XS_WATCH_TOKEN", XS_WATCH_TOKEN, 1},
		{"XENSTORE_RING_SIZE", XENSTORE_RING_SIZE, 1024},
		{"XENSTORE_PAYLOAD_MAX", XENSTORE_PAYLOAD_MAX, 4096},
		{"XENSTORE_ABS_PATH_MAX", XENSTORE_ABS_PATH_MAX, 3072},
		{"XENSTORE_REL_PATH_MAX", XENSTORE_REL_PATH_MAX, 2048},
		{"XENSTORE_SERVER_FEATURE_RECONNECTION", XENSTORE_SERVER_FEATURE_RECONNECTION, 1},
		{"XENSTORE_SERVER_FEATURE_ERROR", XENSTORE_SERVER_FEATURE_ERROR, 2},
		{"XENSTORE_SERVER_FEATURE_WATCHDEPTH", XENSTORE_SERVER_FEATURE_WATCHDEPTH, 4},
		{"XENSTORE_SERVER_FEATURE_DOMID_ANY", XENSTORE_SERVER_FEATURE_DOMID_ANY, 8},
		{"XENSTORE_CONNECTED", XENSTORE_CONNECTED, 0}, {"XENSTORE_RECONNECT", XENSTORE_RECONNECT, 1},
		{"XENSTORE_ERROR_NONE", XENSTORE_ERROR_NONE, 0}, {"XENSTORE_ERROR_COMM", XENSTORE_ERROR_COMM, 1},
		{"XENSTORE_ERROR_RINGIDX", XENSTORE_ERROR_RINGIDX, 2}, {"XENSTORE_ERROR_PROTO", XENSTORE_ERROR_PROTO, 3},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// The mask only works for a power of two.
func TestRingMask(t *testing.T) {
	if XENSTORE_RING_SIZE&(XENSTORE_RING_SIZE-1) != 0 {
		t.Fatal("XENSTORE_RING_SIZE is not a power of two")
	}
	if maskIdx(0xFFFFFFFF) != 1023 || maskIdx(1024) != 0 || maskIdx(1024+5) != 5 {
		t.Errorf("maskIdx: %d %d %d", maskIdx(0xFFFFFFFF), maskIdx(1024), maskIdx(1029))
	}
}
