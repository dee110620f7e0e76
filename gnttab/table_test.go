package gnttab

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// A Go byte slice stands in for the mapped table frames. The allocator
// aligns it to at least 8 bytes, as Init requires.
func newTable(t testing.TB, frames int) (*Table, []byte) {
	t.Helper()
	mem := make([]byte, frames*PageSize)
	tb := new(Table)
	if err := tb.Init(mem); err != nil {
		t.Fatalf("Init(%d frames): %v", frames, err)
	}
	return tb, mem
}

// xenMap does what Xen does to the granting domain's entry when domid
// maps ref: check the entry and set GTF_reading (and GTF_writing for a
// writable mapping) with a 32-bit compare-and-swap on the flags+domid
// word. It reports false when Xen would refuse the mapping.
func xenMap(tb *Table, ref Ref, domid uint16, write bool) bool {
	w := headWord(&tb.ents[ref])
	for {
		old := atomic.LoadUint32(w)
		flags := uint16(old >> flagsShift)
		if flags&GTF_type_mask != GTF_permit_access || uint16(old>>domidShift) != domid ||
			write && flags&GTF_readonly != 0 {
			return false
		}
		set := uint32(GTF_reading)
		if write {
			set |= GTF_writing
		}
		if atomic.CompareAndSwapUint32(w, old, old|set<<flagsShift) {
			return true
		}
	}
}

// xenUnmap clears GTF_reading and GTF_writing, as Xen does when the last
// mapping of the entry goes away.
func xenUnmap(tb *Table, ref Ref) {
	w := headWord(&tb.ents[ref])
	for {
		old := atomic.LoadUint32(w)
		if atomic.CompareAndSwapUint32(w, old, old&^(uint32(GTF_reading|GTF_writing)<<flagsShift)) {
			return
		}
	}
}

func TestGrantWritesEntry(t *testing.T) {
	tb, _ := newTable(t, 2)
	if tb.Cap() != 1024 || tb.Free() != 1024-GNTTAB_NR_RESERVED_ENTRIES {
		t.Fatalf("Cap %d Free %d", tb.Cap(), tb.Free())
	}
	ref, err := tb.Grant(3, 0x12345, false)
	if err != nil || ref < GNTTAB_NR_RESERVED_ENTRIES {
		t.Fatalf("Grant = %d, %v", ref, err)
	}
	if got, want := tb.Entry(ref), (EntryV1{Flags: GTF_permit_access, Domid: 3, Frame: 0x12345}); got != want {
		t.Fatalf("entry %+v, want %+v", got, want)
	}
	ro, err := tb.Grant(0, MaxFrameV1, true)
	if err != nil || ro == ref {
		t.Fatalf("second Grant = %d, %v", ro, err)
	}
	if got, want := tb.Entry(ro), (EntryV1{Flags: GTF_permit_access | GTF_readonly, Domid: 0, Frame: MaxFrameV1}); got != want {
		t.Fatalf("read-only entry %+v, want %+v", got, want)
	}
	if !tb.Granted(ref) || !tb.Granted(ro) || tb.Granted(ref+100) || tb.Free() != 1024-8-2 {
		t.Fatalf("Granted/Free wrong: %v %v %v %d", tb.Granted(ref), tb.Granted(ro), tb.Granted(ref+100), tb.Free())
	}
	// A read-only grant refuses a writable mapping, as Xen would.
	if xenMap(tb, ro, 0, true) || !xenMap(tb, ro, 0, false) {
		t.Fatal("read-only flag not honoured by the simulated Xen")
	}
}

func TestRevokeClearsFlags(t *testing.T) {
	tb, _ := newTable(t, 1)
	ref, _ := tb.Grant(9, 0x4242, true)
	if err := tb.Revoke(ref); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	e := tb.Entry(ref)
	if e.Flags != 0 || e.Domid != 9 {
		t.Fatalf("after Revoke %+v: want flags 0, domid kept", e)
	}
	if tb.Granted(ref) || tb.Free() != 512-8 {
		t.Fatalf("Granted %v Free %d after Revoke", tb.Granted(ref), tb.Free())
	}
	if err := tb.Revoke(ref); err != ErrNotGranted {
		t.Fatalf("second Revoke = %v, want ErrNotGranted", err)
	}
	if xenMap(tb, ref, 9, false) {
		t.Fatal("Xen could map a revoked entry")
	}
}

func TestRevokeRefusals(t *testing.T) {
	tb, _ := newTable(t, 1)
	for ref := Ref(0); ref < GNTTAB_NR_RESERVED_ENTRIES; ref++ {
		if err := tb.Revoke(ref); err != ErrReserved {
			t.Errorf("Revoke(%d) = %v, want ErrReserved", ref, err)
		}
	}
	for _, ref := range []Ref{512, 513, 1 << 31, ^Ref(0)} {
		if err := tb.Revoke(ref); err != ErrBadRef {
			t.Errorf("Revoke(%d) = %v, want ErrBadRef", ref, err)
		}
		if tb.Granted(ref) || tb.Entry(ref) != (EntryV1{}) {
			t.Errorf("ref %d beyond the table looks granted", ref)
		}
	}
	if err := tb.Revoke(100); err != ErrNotGranted {
		t.Errorf("Revoke(never granted) = %v, want ErrNotGranted", err)
	}
	var empty Table
	if _, err := empty.Grant(1, 1, false); err != ErrFull {
		t.Errorf("Grant on a Table without Init = %v, want ErrFull", err)
	}
	if err := empty.Revoke(8); err != ErrBadRef {
		t.Errorf("Revoke on a Table without Init = %v, want ErrBadRef", err)
	}
}

// Entries the toolstack filled (console, xenstore) and entries already
// in use when Init runs are never handed out or revoked.
func TestReservedAndPrefilledEntries(t *testing.T) {
	mem := make([]byte, PageSize)
	ents := unsafe.Slice((*EntryV1)(unsafe.Pointer(&mem[0])), EntriesPerFrame)
	ents[GNTTAB_RESERVED_CONSOLE] = EntryV1{Flags: GTF_permit_access, Domid: 0, Frame: 0xfeffc}
	ents[GNTTAB_RESERVED_XENSTORE] = EntryV1{Flags: GTF_permit_access, Domid: 0, Frame: 0xfeffd}
	ents[100] = EntryV1{Flags: GTF_permit_access | GTF_reading, Domid: 4, Frame: 77}
	before := [3]EntryV1{ents[0], ents[1], ents[100]}
	var tb Table
	if err := tb.Init(mem); err != nil {
		t.Fatal(err)
	}
	if tb.Free() != 512-8-1 {
		t.Fatalf("Free %d, want %d", tb.Free(), 512-8-1)
	}
	seen := map[Ref]bool{}
	for {
		ref, err := tb.Grant(2, uint64(len(seen)), false)
		if err == ErrFull {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ref < GNTTAB_NR_RESERVED_ENTRIES || ref == 100 || seen[ref] {
			t.Fatalf("Grant handed out %d", ref)
		}
		seen[ref] = true
	}
	if len(seen) != 512-8-1 || tb.Free() != 0 {
		t.Fatalf("granted %d, Free %d", len(seen), tb.Free())
	}
	if err := tb.Revoke(100); err != ErrNotGranted {
		t.Fatalf("Revoke(prefilled) = %v", err)
	}
	if after := [3]EntryV1{ents[0], ents[1], ents[100]}; after != before {
		t.Fatalf("reserved/prefilled entries changed: %+v -> %+v", before, after)
	}
}

func TestFullTableAndReuse(t *testing.T) {
	tb, _ := newTable(t, 1)
	var refs []Ref
	for i := 0; i < 512-8; i++ {
		ref, err := tb.Grant(1, uint64(i), i%2 == 0)
		if err != nil {
			t.Fatalf("Grant #%d: %v", i, err)
		}
		refs = append(refs, ref)
	}
	if _, err := tb.Grant(1, 1, false); err != ErrFull {
		t.Fatalf("Grant on a full table = %v, want ErrFull", err)
	}
	if err := tb.Revoke(refs[300]); err != nil {
		t.Fatal(err)
	}
	ref, err := tb.Grant(6, 0xabc, false)
	if err != nil || ref != refs[300] {
		t.Fatalf("Grant after one Revoke = %d, %v; want %d", ref, err, refs[300])
	}
	if e := tb.Entry(ref); e.Domid != 6 || e.Frame != 0xabc || e.Flags != GTF_permit_access {
		t.Fatalf("reused entry %+v", e)
	}
}

func TestFrameTooLarge(t *testing.T) {
	tb, _ := newTable(t, 1)
	for _, f := range []uint64{MaxFrameV1 + 1, 1 << 40, ^uint64(0)} {
		if _, err := tb.Grant(1, f, false); err != ErrFrameTooLarge {
			t.Errorf("Grant(frame %#x) = %v, want ErrFrameTooLarge", f, err)
		}
	}
	if tb.Free() != 512-8 {
		t.Fatalf("a refused Grant used an entry: Free %d", tb.Free())
	}
}

func TestInit(t *testing.T) {
	var tb Table
	for _, n := range []int{0, 100, PageSize + 8, (MaxFrames + 1) * PageSize} {
		if err := tb.Init(make([]byte, n)); err != ErrSize {
			t.Errorf("Init(%d bytes) = %v, want ErrSize", n, err)
		}
	}
	mem := make([]byte, 2*PageSize)
	if err := tb.Init(mem[1 : 1+PageSize]); err != ErrAlign {
		t.Errorf("Init(misaligned) = %v, want ErrAlign", err)
	}
	if err := tb.Init(make([]byte, MaxFrames*PageSize)); err != nil || tb.Cap() != MaxEntries {
		t.Fatalf("Init(MaxFrames) = %v, Cap %d", err, tb.Cap())
	}
	// Init again: the old state goes, the new memory's contents count.
	ref, _ := tb.Grant(1, 1, false)
	if err := tb.Init(mem[:PageSize]); err != nil {
		t.Fatal(err)
	}
	if tb.Granted(ref) || tb.Cap() != 512 || tb.Free() != 504 {
		t.Fatalf("re-Init kept state: Granted %v Cap %d Free %d", tb.Granted(ref), tb.Cap(), tb.Free())
	}
}

// A backend maps the granted page while the guest tries to revoke it:
// Revoke says the grant is in use, the entry stays granted and is not
// handed out again, and Revoke succeeds once the backend has unmapped.
func TestRevokeWhileBackendMaps(t *testing.T) {
	tb, _ := newTable(t, 1)
	const backend = 5
	ref, err := tb.Grant(backend, 0x777, false)
	if err != nil {
		t.Fatal(err)
	}
	mapped, unmap, done := make(chan bool), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		mapped <- xenMap(tb, ref, backend, true)
		<-unmap
		xenUnmap(tb, ref)
	}()
	if !<-mapped {
		t.Fatal("the backend could not map the grant")
	}

	err = tb.Revoke(ref)
	var ie *InUseError
	if !errors.Is(err, ErrInUse) || !errors.As(err, &ie) {
		t.Fatalf("Revoke while mapped = %v, want an InUseError", err)
	}
	if ie.Ref != ref || ie.Flags != GTF_permit_access|GTF_reading|GTF_writing {
		t.Fatalf("InUseError %+v", *ie)
	}
	if !tb.Granted(ref) || tb.Entry(ref).Flags&GTF_permit_access == 0 {
		t.Fatal("a refused Revoke dropped the grant")
	}
	// Every other entry can be handed out; this one cannot.
	for {
		r, err := tb.Grant(1, 1, false)
		if err == ErrFull {
			break
		}
		if err != nil || r == ref {
			t.Fatalf("Grant = %d, %v while %d is still mapped", r, err, ref)
		}
	}

	close(unmap)
	<-done
	if err := tb.Revoke(ref); err != nil {
		t.Fatalf("Revoke after unmap: %v", err)
	}
	if e := tb.Entry(ref); e.Flags != 0 {
		t.Fatalf("entry %+v after Revoke", e)
	}
	if r, err := tb.Grant(1, 2, false); err != nil || r != ref {
		t.Fatalf("Grant = %d, %v; want the freed %d", r, err, ref)
	}
}

// The backend maps and unmaps in a loop on another goroutine while Revoke
// retries: Revoke may only succeed at a moment when nothing is mapped,
// and afterwards the backend can no longer map.
func TestRevokeRacesBackend(t *testing.T) {
	tb, _ := newTable(t, 1)
	const backend = 7
	var maps, refused atomic.Int64
	inUse := 0
	for round := 0; round < 100; round++ {
		ref, err := tb.Grant(backend, uint64(round), false)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		started := make(chan struct{})
		// Even rounds: the backend yields after unmapping, so Revoke
		// tends to win in the gap. Odd rounds: it maps again at once, on
		// another CPU if there is one, and Revoke has to slip in between.
		go func(write, yield bool) {
			defer wg.Done()
			ok := xenMap(tb, ref, backend, write)
			close(started)
			// At most 50 mappings, so that a loaded machine cannot keep
			// Revoke spinning for long.
			for n := 0; ok && n < 50; n++ {
				maps.Add(1)
				runtime.Gosched()
				xenUnmap(tb, ref)
				if yield {
					runtime.Gosched()
				}
				ok = xenMap(tb, ref, backend, write)
			}
			if ok {
				xenUnmap(tb, ref)
			} else {
				refused.Add(1)
			}
		}(round%4 < 2, round%2 == 0)
		<-started
		for {
			err := tb.Revoke(ref)
			if err == nil {
				break
			}
			var ie *InUseError
			if !errors.As(err, &ie) || ie.Flags&(GTF_reading|GTF_writing) == 0 {
				t.Fatalf("round %d: Revoke = %v", round, err)
			}
			inUse++
			runtime.Gosched()
		}
		wg.Wait()
		if xenMap(tb, ref, backend, false) {
			t.Fatalf("round %d: mapped after a successful Revoke", round)
		}
		if e := tb.Entry(ref); e.Flags != 0 || tb.Granted(ref) {
			t.Fatalf("round %d: entry %+v granted %v", round, e, tb.Granted(ref))
		}
	}
	// How often the race went each way depends on the scheduler.
	t.Logf("%d backend mappings, %d revokes refused as in use, %d of 100 rounds where the backend found the grant revoked",
		maps.Load(), inUse, refused.Load())
}

func TestNoAllocs(t *testing.T) {
	tb, _ := newTable(t, 1)
	mapped, _ := tb.Grant(3, 3, false)
	xenMap(tb, mapped, 3, false)
	full, _ := newTable(t, 1)
	for {
		if _, err := full.Grant(1, 1, false); err != nil {
			break
		}
	}
	cases := []struct {
		name string
		f    func()
	}{
		{"Grant+Revoke", func() {
			ref, err := tb.Grant(1, 0x1000, true)
			if err != nil || tb.Revoke(ref) != nil {
				panic("grant/revoke failed")
			}
		}},
		{"Grant frame too large", func() { tb.Grant(1, 1<<32, false) }},
		{"Grant full", func() { full.Grant(1, 1, false) }},
		{"Revoke reserved", func() { tb.Revoke(GNTTAB_RESERVED_XENSTORE) }},
		{"Revoke beyond", func() { tb.Revoke(1 << 20) }},
		{"Revoke not granted", func() { tb.Revoke(400) }},
		{"Revoke in use", func() {
			if !errors.Is(tb.Revoke(mapped), ErrInUse) {
				panic("not in use")
			}
		}},
		{"Entry", func() { tb.Entry(mapped) }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.f); n != 0 {
			t.Errorf("%s: %v allocations per call", c.name, n)
		}
	}
}

func TestErrorStrings(t *testing.T) {
	seen := map[string]bool{}
	for e := ErrFull; e <= ErrAlign; e++ {
		s := e.Error()
		if s == "" || seen[s] {
			t.Errorf("Error(%d).Error() = %q", e, s)
		}
		seen[s] = true
	}
	if got := Error(200).Error(); got != "gnttab: error 200" {
		t.Errorf("unknown Error: %q", got)
	}
	ie := &InUseError{Ref: 12, Flags: GTF_permit_access | GTF_reading}
	if got := ie.Error(); got != "gnttab: grant 12 still in use by the grantee (flags 0x9)" {
		t.Errorf("InUseError: %q", got)
	}
	if errors.Is(ie, ErrNotGranted) || !errors.Is(ie, ErrInUse) {
		t.Error("InUseError matches the wrong sentinel")
	}
}
