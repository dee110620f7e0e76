package gnttab

import (
	"errors"
	"testing"
	"unsafe"
)

// FuzzTable runs sequences of grants, revokes and backend map/unmap
// operations on a one-frame table and checks, after every step, the
// table against a model: no reserved reference is handed out, no
// reference is handed out twice while granted, a revoked entry has flags
// 0, an entry in use by the backend is never revoked, and the entries
// the toolstack filled never change.
//
// Each operation is two bytes, an opcode and an argument:
//
//	0 grant one (domid, frame and read-only from the argument; 255 asks
//	  for a frame too large for v1)
//	1 grant argument%64+1 entries
//	2 revoke the argument'th granted reference
//	3 revoke reference argument*3 (reserved, unknown, beyond the table)
//	4 the backend maps the argument'th granted reference
//	5 the backend unmaps the argument'th granted reference
func FuzzTable(f *testing.F) {
	f.Fuzz(func(t *testing.T, ops []byte) {
		mem := make([]byte, PageSize)
		ents := unsafe.Slice((*EntryV1)(unsafe.Pointer(&mem[0])), EntriesPerFrame)
		ents[GNTTAB_RESERVED_CONSOLE] = EntryV1{Flags: GTF_permit_access, Domid: 0, Frame: 0x1111}
		ents[GNTTAB_RESERVED_XENSTORE] = EntryV1{Flags: GTF_permit_access, Domid: 0, Frame: 0x2222}
		var reserved [GNTTAB_NR_RESERVED_ENTRIES]EntryV1
		copy(reserved[:], ents)
		var tb Table
		if err := tb.Init(mem); err != nil {
			t.Fatal(err)
		}

		type grant struct {
			domid  uint16
			frame  uint32
			ro     bool
			mapped bool
			write  bool
		}
		var model [EntriesPerFrame]*grant // by ref; nil: not granted
		var order []Ref                   // granted refs in grant order, for picking one

		grantOne := func(arg byte) {
			g := &grant{domid: uint16(arg) * 17, frame: uint32(arg) * 0x10001, ro: arg&1 != 0}
			frame := uint64(g.frame)
			if arg == 255 {
				frame = MaxFrameV1 + 1
			}
			ref, err := tb.Grant(g.domid, frame, g.ro)
			switch {
			case arg == 255:
				if err != ErrFrameTooLarge {
					t.Fatalf("Grant(too large) = %d, %v", ref, err)
				}
			case len(order) == EntriesPerFrame-GNTTAB_NR_RESERVED_ENTRIES:
				if err != ErrFull {
					t.Fatalf("Grant on a full table = %d, %v", ref, err)
				}
			case err != nil:
				t.Fatalf("Grant with %d granted: %v", len(order), err)
			case ref < GNTTAB_NR_RESERVED_ENTRIES || int(ref) >= EntriesPerFrame:
				t.Fatalf("Grant handed out %d", ref)
			case model[ref] != nil:
				t.Fatalf("Grant handed out %d twice", ref)
			default:
				model[ref] = g
				order = append(order, ref)
			}
		}
		pick := func(arg byte) (Ref, *grant, int) {
			if len(order) == 0 {
				return 0, nil, -1
			}
			i := int(arg) % len(order)
			return order[i], model[order[i]], i
		}
		revoke := func(ref Ref) {
			err := tb.Revoke(ref)
			var g *grant
			if int(ref) < len(model) {
				g = model[ref]
			}
			switch {
			case ref < GNTTAB_NR_RESERVED_ENTRIES:
				if err != ErrReserved {
					t.Fatalf("Revoke(%d) = %v, want ErrReserved", ref, err)
				}
			case int(ref) >= EntriesPerFrame:
				if err != ErrBadRef {
					t.Fatalf("Revoke(%d) = %v, want ErrBadRef", ref, err)
				}
			case g == nil:
				if err != ErrNotGranted {
					t.Fatalf("Revoke(%d) = %v, want ErrNotGranted", ref, err)
				}
			case g.mapped:
				var ie *InUseError
				if !errors.As(err, &ie) || ie.Ref != ref || ie.Flags&(GTF_reading|GTF_writing) == 0 {
					t.Fatalf("Revoke(mapped %d) = %v", ref, err)
				}
			case err != nil:
				t.Fatalf("Revoke(%d): %v", ref, err)
			default:
				model[ref] = nil
				for i, r := range order {
					if r == ref {
						order = append(order[:i], order[i+1:]...)
						break
					}
				}
			}
		}

		for len(ops) > 0 {
			op, arg := ops[0]%6, byte(0)
			if len(ops) > 1 {
				arg = ops[1]
			}
			ops = ops[min(2, len(ops)):]
			switch op {
			case 0:
				grantOne(arg)
			case 1:
				for i := 0; i <= int(arg%64); i++ {
					grantOne(byte(i*7) % 255)
				}
			case 2:
				if ref, _, i := pick(arg); i >= 0 {
					revoke(ref)
				}
			case 3:
				revoke(Ref(arg) * 3)
			case 4:
				if ref, g, i := pick(arg); i >= 0 {
					write := arg&2 != 0
					ok := xenMap(&tb, ref, g.domid, write)
					if ok != (!write || !g.ro) {
						t.Fatalf("map(%d, write %v) of %+v = %v", ref, write, *g, ok)
					}
					if ok {
						g.mapped = true
						g.write = g.write || write
					}
				}
			case 5:
				if ref, g, i := pick(arg); i >= 0 {
					xenUnmap(&tb, ref)
					g.mapped, g.write = false, false
				}
			}

			// The whole table against the model.
			for i := 0; i < EntriesPerFrame; i++ {
				ref := Ref(i)
				e := tb.Entry(ref)
				g := model[ref]
				switch {
				case i < GNTTAB_NR_RESERVED_ENTRIES:
					if e != reserved[i] || tb.Granted(ref) {
						t.Fatalf("reserved entry %d now %+v (granted %v)", i, e, tb.Granted(ref))
					}
				case g == nil:
					if e.Flags != 0 || tb.Granted(ref) {
						t.Fatalf("free entry %d: %+v (granted %v)", i, e, tb.Granted(ref))
					}
				default:
					want := uint16(GTF_permit_access)
					if g.ro {
						want |= GTF_readonly
					}
					if g.mapped {
						want |= GTF_reading
					}
					if g.write {
						want |= GTF_writing
					}
					if e != (EntryV1{Flags: want, Domid: g.domid, Frame: g.frame}) || !tb.Granted(ref) {
						t.Fatalf("granted entry %d: %+v, want %+v", i, e, EntryV1{want, g.domid, g.frame})
					}
				}
			}
			if tb.Free() != EntriesPerFrame-GNTTAB_NR_RESERVED_ENTRIES-len(order) {
				t.Fatalf("Free %d with %d granted", tb.Free(), len(order))
			}
		}
	})
}
