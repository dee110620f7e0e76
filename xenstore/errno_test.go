package xenstore

import (
	"errors"
	"io/fs"
	"testing"
)

// xs_wire.h: xsd_errors, in order.
var xsdErrors = []string{"EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC",
	"EIO", "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM"}

func TestErrnoTable(t *testing.T) {
	if len(errnoNames)-1 != len(xsdErrors) {
		t.Fatalf("%d names, want %d", len(errnoNames)-1, len(xsdErrors))
	}
	for i, name := range xsdErrors {
		e, ok := LookupErrno([]byte(name))
		if !ok || e != Errno(i+1) || e.Error() != name {
			t.Errorf("%s: LookupErrno = %d, %v; Error %q", name, e, ok, e.Error())
		}
		for _, payload := range []string{name, name + "\x00"} {
			if err := ParseError([]byte(payload)); err != e {
				t.Errorf("ParseError(%q) = %v, want %v", payload, err, e)
			}
		}
	}
	if Errno(0).Error() != "Errno(0)" || Errno(200).Error() != "Errno(200)" {
		t.Errorf("out-of-table Errno strings: %q %q", Errno(0).Error(), Errno(200).Error())
	}
}

func TestErrnoIs(t *testing.T) {
	for _, c := range []struct {
		e      Errno
		target error
		want   bool
	}{
		{ENOENT, fs.ErrNotExist, true},
		{EACCES, fs.ErrPermission, true},
		{EPERM, fs.ErrPermission, true},
		{EEXIST, fs.ErrExist, true},
		{ENOTEMPTY, fs.ErrExist, true},
		{ENOSYS, errors.ErrUnsupported, true},
		{EAGAIN, EAGAIN, true},
		{EINVAL, fs.ErrNotExist, false},
		{ENOENT, fs.ErrPermission, false},
		{EAGAIN, fs.ErrExist, false},
		{EROFS, fs.ErrPermission, false},
	} {
		wrapped := &fs.PathError{Op: "xenstore read", Path: "/x", Err: c.e}
		if got := errors.Is(wrapped, c.target); got != c.want {
			t.Errorf("errors.Is(%v, %v) = %v", wrapped, c.target, got)
		}
	}
}

func TestParseUnknownError(t *testing.T) {
	for payload, name := range map[string]string{
		"EWHATEVER\x00":  "EWHATEVER",
		"":               "",
		"ENOENT\x00\x00": "ENOENT\x00",
		"enoent":         "enoent",
	} {
		err := ParseError([]byte(payload))
		var ue UnknownError
		if !errors.As(err, &ue) || ue.Name != name {
			t.Errorf("ParseError(%q) = %#v, want UnknownError{%q}", payload, err, name)
		}
	}
	if got := (UnknownError{"E\x01"}).Error(); got != `xenstore: unknown error "E\x01"` {
		t.Errorf("message %q", got)
	}
}

func TestPerms(t *testing.T) {
	perms, err := ParsePerms([]byte("n0\x00r5\x00w65535\x00b32757\x00"))
	want := []Perm{{AccessNone, 0}, {AccessRead, 5}, {AccessWrite, 65535}, {AccessBoth, 0x7FF5}}
	if err != nil || len(perms) != len(want) {
		t.Fatalf("ParsePerms = %v, %v", perms, err)
	}
	for i := range want {
		if perms[i] != want[i] {
			t.Errorf("perm %d = %+v, want %+v", i, perms[i], want[i])
		}
	}
	if s := string(appendPerms(nil, want)); s != "n0\x00r5\x00w65535\x00b32757\x00" {
		t.Errorf("appendPerms = %q", s)
	}
	if want[1].String() != "r5" {
		t.Errorf("String = %q", want[1].String())
	}
	if !AccessBoth.CanRead() || !AccessBoth.CanWrite() || AccessRead.CanWrite() || AccessWrite.CanRead() ||
		AccessNone.CanRead() || AccessNone.CanWrite() {
		t.Error("Access predicates wrong")
	}
	for _, bad := range []string{"", "n0", "\x00", "x5\x00", "r\x00", "r-1\x00", "r65536\x00", "r0x10\x00", "r 1\x00", "n0\x00\x00"} {
		var pe *PermError
		if p, err := ParsePerms([]byte(bad)); !errors.As(err, &pe) {
			t.Errorf("ParsePerms(%q) = %v, %v; want a *PermError", bad, p, err)
		}
	}
}
