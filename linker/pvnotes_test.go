package linker

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

const (
	guestPVSymbol   = "example.com/pvhguest/kernel.pvEntry"
	guestPageSymbol = "example.com/pvhguest/kernel.HypercallPage"
)

// One ELF, both modes: the PVH notes and the PV notes side by side, the PV
// entry and hypercall page taken from the symbols.
func TestGoBinaryPV(t *testing.T) {
	in, _ := guestELF(t)
	opt := Options{EntrySymbol: guestSymbol, PVEntrySymbol: guestPVSymbol, HypercallPageSymbol: guestPageSymbol}
	out, res, err := Report(in, opt)
	if err != nil {
		t.Fatal(err)
	}
	pvEntry := symbolValue(t, in, guestPVSymbol+".abi0")
	page := (symbolValue(t, in, guestPageSymbol) + 4095) &^ 4095
	if !slices.Equal(res.Modes, []string{ModePVH, ModePV}) || res.PVEntry != pvEntry || res.HypercallPage != page || res.Notes != 8 {
		t.Errorf("Result = %+v; want modes pvh+pv, PV entry %#x, page %#x, 8 notes", res, pvEntry, page)
	}
	checkXenImage(t, out, symbolValue(t, in, guestSymbol+".abi0"), DefaultGuestOS)
	notes, err := XenNotes(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]uint64{XEN_ELFNOTE_ENTRY: pvEntry, XEN_ELFNOTE_HYPERCALL_PAGE: page, XEN_ELFNOTE_VIRT_BASE: 0, XEN_ELFNOTE_PADDR_OFFSET: 0}
	for _, n := range notes {
		if v, ok := want[n.Type]; ok {
			if len(n.Desc) != 8 || numeric(n.Desc) != v {
				t.Errorf("%s = % x, want %#x", TypeName(n.Type), n.Desc, v)
			}
			delete(want, n.Type)
		}
	}
	if len(want) != 0 {
		t.Errorf("missing notes %v", want)
	}
	// The page is whole inside the image, as Xen requires.
	f := elfOf(t, out)
	inside := false
	for _, p := range f.Progs {
		if p.Type == 1 && page >= p.Vaddr && page+4096 <= p.Vaddr+p.Memsz {
			inside = true
		}
	}
	if !inside {
		t.Errorf("hypercall page %#x is not inside a PT_LOAD", page)
	}
	again, err := AddNotes(out, opt)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("second run: %v, same bytes %v", err, bytes.Equal(again, out))
	}
	// Without the PV symbols (the default names are goxen's), PVH only.
	_, res, err = Report(in, Options{EntrySymbol: guestSymbol})
	if err != nil || !slices.Equal(res.Modes, []string{ModePVH}) || res.PVEntry != 0 {
		t.Errorf("PVH-only Report = %+v, %v", res, err)
	}
}

// A PV entry without a hypercall page is an error, not a silent PVH-only
// kernel.
func TestPVNoHypercallPage(t *testing.T) {
	in, _ := guestELF(t)
	_, _, err := Report(in, Options{EntrySymbol: guestSymbol, PVEntrySymbol: guestPVSymbol, HypercallPageSymbol: "nope.page"})
	var pe *PVError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PVError", err)
	}
	t.Logf("message: %v", err)
}

func TestModes(t *testing.T) {
	n := func(typ uint32, d string) Note { return Note{XenNoteName, typ, []byte(d)} }
	for _, c := range []struct {
		notes []Note
		want  []string
	}{
		{nil, nil},
		{[]Note{n(XEN_ELFNOTE_PHYS32_ENTRY, "\x00\x10\x10\x00")}, []string{"pvh"}},
		{[]Note{n(XEN_ELFNOTE_ENTRY, "12345678"), n(XEN_ELFNOTE_LOADER, "generic\x00"), n(XEN_ELFNOTE_XEN_VERSION, "xen-3.0\x00")}, []string{"pv"}},
		// libelf refuses a PV kernel with another loader or version.
		{[]Note{n(XEN_ELFNOTE_ENTRY, "12345678"), n(XEN_ELFNOTE_LOADER, "other\x00"), n(XEN_ELFNOTE_XEN_VERSION, "xen-3.0\x00")}, nil},
		{[]Note{n(XEN_ELFNOTE_ENTRY, "12345678"), n(XEN_ELFNOTE_LOADER, "generic\x00")}, nil},
		{[]Note{{"GNU", XEN_ELFNOTE_PHYS32_ENTRY, []byte("1234")}}, nil},
	} {
		if got := Modes(c.notes); !slices.Equal(got, c.want) {
			t.Errorf("Modes(%v) = %v, want %v", c.notes, got, c.want)
		}
	}
}
