package gnttab

import (
	"math/bits"
	"strconv"
	"sync/atomic"
	"unsafe"
)

// Ref is a grant reference: the index of an entry in the granting
// domain's table, the number the grantee passes to Xen.
// xen/include/public/grant_table.h: grant_ref_t
type Ref uint32

// Error is what Table reports when it refuses. The values are small
// constants, so returning one allocates nothing.
type Error uint8

const (
	ErrFull          Error = iota + 1 // Grant: every unreserved entry is in use
	ErrFrameTooLarge                  // Grant: the frame number needs more than the 32 bits of a v1 entry
	ErrReserved                       // Revoke: one of the GNTTAB_NR_RESERVED_ENTRIES references
	ErrBadRef                         // Revoke: the reference is beyond the table
	ErrNotGranted                     // Revoke: the entry was not granted by this Table (or is already revoked)
	ErrInUse                          // Revoke: the grantee still has the frame mapped; see InUseError
	ErrSize                           // Init: the memory is not 1 to MaxFrames whole frames
	ErrAlign                          // Init: the memory is not aligned for 32-bit atomics
)

func (e Error) Error() string {
	switch e {
	case ErrFull:
		return "gnttab: no free grant entry"
	case ErrFrameTooLarge:
		return "gnttab: frame number does not fit a v1 grant entry (32 bits)"
	case ErrReserved:
		return "gnttab: reserved grant reference"
	case ErrBadRef:
		return "gnttab: grant reference beyond the table"
	case ErrNotGranted:
		return "gnttab: grant reference not granted by this table"
	case ErrInUse:
		return "gnttab: grant still in use by the grantee"
	case ErrSize:
		return "gnttab: table memory must be 1 to MaxFrames whole frames"
	case ErrAlign:
		return "gnttab: table memory not 4-byte aligned"
	}
	return "gnttab: error " + strconv.Itoa(int(e))
}

// InUseError is Revoke's answer when Xen reports the grantee still using
// the frame (GTF_reading or GTF_writing set). The entry stays granted;
// revoke it again once the grantee has unmapped. errors.Is(err, ErrInUse)
// matches it.
type InUseError struct {
	Ref   Ref
	Flags uint16 // the entry's flags as Revoke saw them
}

func (e *InUseError) Error() string {
	return "gnttab: grant " + strconv.FormatUint(uint64(e.Ref), 10) +
		" still in use by the grantee (flags 0x" + strconv.FormatUint(uint64(e.Flags), 16) + ")"
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Table is the guest's side of its version 1 grant table: the entries in
// the mapped table frames, and a record of which of them are free and
// which this Table has granted.
//
// The record is two fixed bitmaps sized for MaxEntries, so Grant and
// Revoke allocate nothing and store no pointers (no GC write barriers);
// they may run in kernel context. A Table is about 8 KiB: declare it as a
// global or allocate it once, and do not copy it after Init.
//
// Table is not safe for concurrent use; callers serialise all calls. Xen
// and the grantee, which change entries behind its back, are accounted
// for: every access to a live entry is atomic.
type Table struct {
	ents []EntryV1 // the mapped frames, EntriesPerFrame per frame

	// used: the entry is not available to Grant (reserved, granted by
	// us, or found in use at Init). ours: granted by Grant, not yet
	// successfully revoked. ours implies used.
	used [MaxEntries / 64]uint64
	ours [MaxEntries / 64]uint64

	nfree int // clear bits of used below len(ents)
	next  int // word of used where the next search starts

	// inUse is the error Revoke returns for a grant still mapped. It
	// lives here so that returning it allocates nothing; see Revoke.
	inUse InUseError
}

// Init makes t manage the grant entries in mem, which must be the table's
// frames 0..n-1 mapped contiguously (n = len(mem)/PageSize, 1 to
// MaxFrames; see MapFrames). Entries that already have flags set (the
// toolstack's reserved ones, or grants left from before) are left alone:
// Grant never hands them out and Revoke refuses them. Init discards any
// previous state of t. Unlike Grant and Revoke it stores a pointer.
func (t *Table) Init(mem []byte) error {
	if len(mem) == 0 || len(mem)%PageSize != 0 || len(mem)/PageSize > MaxFrames {
		return ErrSize
	}
	if uintptr(unsafe.Pointer(&mem[0]))%unsafe.Alignof(EntryV1{}) != 0 {
		return ErrAlign
	}
	// kernel:nopanic len(mem) is a non-negative multiple of the page size, checked above
	t.ents = unsafe.Slice((*EntryV1)(unsafe.Pointer(&mem[0])), len(mem)/EntrySize)
	t.used = [MaxEntries / 64]uint64{}
	t.ours = [MaxEntries / 64]uint64{}
	t.next = 0
	t.inUse = InUseError{}
	t.nfree = 0
	for i := range t.ents {
		if i < GNTTAB_NR_RESERVED_ENTRIES || t.flags(Ref(i)) != 0 {
			// kernel:nopanic i < len(t.ents) <= MaxEntries = 64*len(t.used)
			t.used[i/64] |= 1 << (i % 64)
		} else {
			t.nfree++
		}
	}
	return nil
}

// Cap is the number of entries in the table, reserved ones included.
func (t *Table) Cap() int { return len(t.ents) }

// Free is how many entries Grant can still hand out.
func (t *Table) Free() int { return t.nfree }

// Granted reports whether ref is currently granted by t: Grant returned
// it and no Revoke has succeeded since.
func (t *Table) Granted(ref Ref) bool {
	// kernel:nopanic ref < len(t.ents) <= MaxEntries = 64*len(t.ours), checked first
	return int64(ref) < int64(len(t.ents)) && t.ours[ref/64]&(1<<(ref%64)) != 0
}

// Entry returns a snapshot of entry ref, read atomically, for tests and
// diagnostics; the zero EntryV1 if ref is beyond the table. Xen may change
// the flags right after.
func (t *Table) Entry(ref Ref) EntryV1 {
	if int64(ref) >= int64(len(t.ents)) {
		return EntryV1{}
	}
	e := &t.ents[ref]
	w := atomic.LoadUint32(headWord(e))
	return EntryV1{
		Flags: uint16(w >> flagsShift),
		Domid: uint16(w >> domidShift),
		Frame: atomic.LoadUint32(&e.Frame),
	}
}

// Grant lets domain domid map or copy guest frame frame, read-only if
// readonly, and returns the reference to give to that domain. It never
// returns one of the reserved references. It fails with ErrFrameTooLarge
// if frame needs more than 32 bits and with ErrFull if no entry is free.
func (t *Table) Grant(domid uint16, frame uint64, readonly bool) (Ref, error) {
	if frame > MaxFrameV1 {
		return 0, ErrFrameTooLarge
	}
	i, ok := t.take()
	if !ok {
		return 0, ErrFull
	}
	flags := uint32(GTF_permit_access)
	if readonly {
		flags |= GTF_readonly
	}
	// kernel:nopanic i comes from take, which returns only indices below len(t.ents)
	e := &t.ents[i]
	// Order matters: Xen may look at this entry at any moment, and must
	// never see GTF_permit_access beside a stale frame or domid. The
	// entry is free, so its flags are 0 and Xen leaves it alone. Store
	// the frame first; then store domid and flags together in one atomic
	// 32-bit store of the word they share. Go's atomic stores are
	// sequentially consistent, so neither the compiler nor the CPU lets
	// the flags become visible before the frame (the header's "write
	// domid, write frame, WMB, write flags").
	atomic.StoreUint32(&e.Frame, uint32(frame))
	atomic.StoreUint32(headWord(e), uint32(domid)<<domidShift|flags<<flagsShift)
	return Ref(i), nil
}

// Revoke ends the grant ref, so that its frame may be reused. It succeeds
// only if the grantee is not using the frame: if Xen shows GTF_reading or
// GTF_writing, Revoke returns an *InUseError (errors.Is(err, ErrInUse))
// and the entry stays granted, its frame still exposed; the caller must
// not reuse the frame and should call Revoke again after the grantee has
// unmapped. The returned *InUseError is stored in t and overwritten by the
// next such failure (so that returning it allocates nothing); copy it to
// keep it. Revoke refuses reserved references (ErrReserved), references
// beyond the table (ErrBadRef) and entries t has not granted
// (ErrNotGranted).
func (t *Table) Revoke(ref Ref) error {
	if ref < GNTTAB_NR_RESERVED_ENTRIES {
		return ErrReserved
	}
	if int64(ref) >= int64(len(t.ents)) {
		return ErrBadRef
	}
	if !t.Granted(ref) {
		return ErrNotGranted
	}
	// The header's recipe is a compare-and-swap of the 16-bit flags
	// from a value without GTF_reading/GTF_writing to 0, so that Xen
	// cannot start a mapping between our check and our write. sync/atomic
	// has no 16-bit compare-and-swap, so swap the aligned 32-bit word
	// holding flags and domid instead, with domid unchanged on both
	// sides: the swap fails, and we look again, if Xen changed the flags
	// (or anything else in the word) in between. Xen updates the flags
	// with a compare-and-swap on this same word, so neither side can lose
	// the other's write.
	w := headWord(&t.ents[ref])
	for {
		old := atomic.LoadUint32(w)
		flags := uint16(old >> flagsShift)
		if flags&(GTF_reading|GTF_writing) != 0 {
			t.inUse = InUseError{Ref: ref, Flags: flags}
			return &t.inUse
		}
		if atomic.CompareAndSwapUint32(w, old, old&^(0xffff<<flagsShift)) {
			break
		}
	}
	// Xen can no longer start using the entry: only now is it free.
	t.ours[ref/64] &^= 1 << (ref % 64)
	t.used[ref/64] &^= 1 << (ref % 64)
	t.nfree++
	return nil
}

// take marks a free entry used and ours and returns its index. The search
// starts where the last one succeeded (next fit), a word at a time.
func (t *Table) take() (int, bool) {
	words := len(t.ents) / 64 // len(t.ents) is a multiple of 512
	for k := 0; k < words; k++ {
		w := t.next + k
		if w >= words {
			w -= words
		}
		// kernel:nopanic w < words = len(t.ents)/64 <= len(t.used)
		if t.used[w] == ^uint64(0) {
			continue
		}
		b := bits.TrailingZeros64(^t.used[w])
		t.used[w] |= 1 << b
		t.ours[w] |= 1 << b
		t.nfree--
		t.next = w
		return w*64 + b, true
	}
	return 0, false
}

// flags reads entry ref's flags atomically.
func (t *Table) flags(ref Ref) uint16 {
	// kernel:nopanic every ref passed in is below len(t.ents) (Init's loop, Grant's and Revoke's checks)
	return uint16(atomic.LoadUint32(headWord(&t.ents[ref])) >> flagsShift)
}

// headWord is the aligned 32-bit word at the start of an entry: flags and
// domid (see word_le.go).
func headWord(e *EntryV1) *uint32 { return (*uint32)(unsafe.Pointer(&e.Flags)) }
