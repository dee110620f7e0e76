package xenstore

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestHeaderCodec(t *testing.T) {
	h := Header{Type: XS_TRANSACTION_END, ReqID: 0x01020304, TxID: 0xA0B0C0D0, Len: 2}
	b := make([]byte, 20)
	if err := h.Encode(b); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 20)
	binary.LittleEndian.PutUint32(want[0:], 7)
	binary.LittleEndian.PutUint32(want[4:], 0x01020304)
	binary.LittleEndian.PutUint32(want[8:], 0xA0B0C0D0)
	binary.LittleEndian.PutUint32(want[12:], 2)
	if !bytes.Equal(b, want) {
		t.Errorf("Encode = % x\nwant     % x", b, want)
	}
	got, err := DecodeHeader(want)
	if err != nil || got != h {
		t.Errorf("DecodeHeader = %+v, %v; want %+v", got, err, h)
	}

	short := bytes.Repeat([]byte{0xEE}, 15)
	if err := h.Encode(short); err != ErrShortBuffer || !bytes.Equal(short, bytes.Repeat([]byte{0xEE}, 15)) {
		t.Errorf("Encode into 15 bytes = %v, buffer % x", err, short)
	}
	if got, err := DecodeHeader(short); err != ErrShortBuffer || got != (Header{}) {
		t.Errorf("DecodeHeader of 15 bytes = %+v, %v", got, err)
	}
}

func TestTypeName(t *testing.T) {
	for typ, want := range map[uint32]string{
		0: "XS_CONTROL", 2: "XS_READ", 15: "XS_WATCH_EVENT", 16: "XS_ERROR", 19: "XS_SET_TARGET",
		20: "unknown", 21: "XS_RESET_WATCHES", 26: "XS_SET_QUOTA", 27: "unknown",
		0xffff: "XS_INVALID", 0xFFFFFFFF: "unknown",
	} {
		if got := TypeName(typ); got != want {
			t.Errorf("TypeName(%d) = %q, want %q", typ, got, want)
		}
	}
	// Every defined type but the removed 20 has a name.
	for typ := uint32(0); typ < XS_TYPE_COUNT; typ++ {
		if typ != 20 && TypeName(typ) == "unknown" {
			t.Errorf("type %d has no name", typ)
		}
	}
}
