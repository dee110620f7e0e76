package xenstore

import (
	"strings"
	"testing"
)

func TestValidateRequest(t *testing.T) {
	abs := "/" + strings.Repeat("a", XENSTORE_ABS_PATH_MAX-1) // exactly the limit
	rel := strings.Repeat("r", XENSTORE_REL_PATH_MAX)
	for _, c := range []struct {
		name    string
		typ, tx uint32
		payload string
		want    error
	}{
		{"read", XS_READ, 0, "/local/domain/0/name\x00", nil},
		{"read relative", XS_READ, 7, "name\x00", nil},
		{"read unterminated", XS_READ, 0, "/a", ErrUnterminated},
		{"read empty payload", XS_READ, 0, "", ErrUnterminated},
		{"read empty path", XS_READ, 0, "\x00", ErrEmptyPath},
		{"read two fields", XS_READ, 0, "/a\x00/b\x00", ErrFieldCount},
		{"read abs at limit", XS_READ, 0, abs + "\x00", nil},
		{"read abs over limit", XS_READ, 0, abs + "a\x00", ErrAbsPathTooLong},
		{"read rel at limit", XS_READ, 0, rel + "\x00", nil},
		{"read rel over limit", XS_READ, 0, rel + "r\x00", ErrRelPathTooLong},
		{"directory", XS_DIRECTORY, 0, "/\x00", nil},
		{"get-perms", XS_GET_PERMS, 0, "/a\x00", nil},
		{"mkdir unterminated", XS_MKDIR, 0, "/a", ErrUnterminated},
		{"rm", XS_RM, 3, "/a\x00", nil},
		{"write", XS_WRITE, 0, "/a\x00value with \x00 inside", nil},
		{"write empty value", XS_WRITE, 0, "/a\x00", nil},
		{"write no path NUL", XS_WRITE, 0, "/a", ErrUnterminated},
		{"write empty path", XS_WRITE, 0, "\x00v", ErrEmptyPath},
		{"write rel over limit", XS_WRITE, 0, rel + "r\x00v", ErrRelPathTooLong},
		{"set-perms", XS_SET_PERMS, 0, "/a\x00n0\x00r5\x00", nil},
		{"set-perms no perms", XS_SET_PERMS, 0, "/a\x00", ErrFieldCount},
		{"set-perms unterminated", XS_SET_PERMS, 0, "/a\x00n0", ErrUnterminated},
		{"watch", XS_WATCH, 0, "/a\x00tok\x00", nil},
		{"watch special", XS_WATCH, 0, "@releaseDomain\x00tok\x00", nil},
		{"watch with depth", XS_WATCH, 0, "/a\x00tok\x002\x00", nil},
		{"watch no token", XS_WATCH, 0, "/a\x00", ErrFieldCount},
		{"watch four fields", XS_WATCH, 0, "/a\x00t\x001\x00x\x00", ErrFieldCount},
		{"unwatch", XS_UNWATCH, 0, "/a\x00tok\x00", nil},
		{"unwatch with depth", XS_UNWATCH, 0, "/a\x00tok\x002\x00", ErrFieldCount},
		{"directory-part", XS_DIRECTORY_PART, 0, "/a\x000\x00", nil},
		{"transaction start", XS_TRANSACTION_START, 0, "\x00", nil},
		{"transaction start in a transaction", XS_TRANSACTION_START, 5, "\x00", ErrTxStartTxID},
		{"commit", XS_TRANSACTION_END, 5, "T\x00", nil},
		{"abort", XS_TRANSACTION_END, 5, "F\x00", nil},
		{"end bad", XS_TRANSACTION_END, 5, "X\x00", ErrTxEndPayload},
		{"end unterminated", XS_TRANSACTION_END, 5, "T", ErrTxEndPayload},
		{"end long", XS_TRANSACTION_END, 5, "T\x00\x00", ErrTxEndPayload},
		{"get-domain-path", XS_GET_DOMAIN_PATH, 0, "3\x00", nil},
		{"watch event from a client", XS_WATCH_EVENT, 0, "/a\x00t\x00", ErrServerOnlyType},
		{"error from a client", XS_ERROR, 0, "EINVAL\x00", ErrServerOnlyType},
		{"invalid", XS_INVALID, 0, "", ErrInvalidType},
		{"future type", 40, 0, "anything", nil},
		{"payload at the limit", XS_WRITE, 0, "/a\x00" + strings.Repeat("v", XENSTORE_PAYLOAD_MAX-3), nil},
		{"payload over the limit", XS_WRITE, 0, "/a\x00" + strings.Repeat("v", XENSTORE_PAYLOAD_MAX-2), ErrPayloadTooLong},
	} {
		h := Header{Type: c.typ, ReqID: 1, TxID: c.tx, Len: uint32(len(c.payload))}
		if got := ValidateRequest(h, []byte(c.payload)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	h := Header{Type: XS_READ, Len: 4}
	if err := ValidateRequest(h, []byte("/a\x00")); err != ErrLenMismatch {
		t.Errorf("len 4 for 3 bytes: %v", err)
	}
}
