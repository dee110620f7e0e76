package gnttab

import (
	"testing"
	"unsafe"

	"github.com/goxen/goxen/internal/layouttest"
)

// Expectations read off xen/include/public/grant_table.h for x86_64
// (natural C alignment: u16 at 2, u32 at 4, u64 at 8).
type fieldAt = layouttest.Field

func TestLayouts(t *testing.T) {
	var (
		e  EntryV1
		qs QuerySizeArg
		sv SetVersionArg
		gv GetVersionArg
		st SetupTableArg
	)
	layouttest.Check(t, []layouttest.Struct{
		{"struct grant_entry_v1", unsafe.Sizeof(e), 8, []fieldAt{
			{"flags", unsafe.Offsetof(e.Flags), 0},
			{"domid", unsafe.Offsetof(e.Domid), 2},
			{"frame", unsafe.Offsetof(e.Frame), 4}}},
		// domid_t dom; (2 bytes padding) uint32 nr_frames; uint32
		// max_nr_frames; int16 status; (2 bytes tail padding).
		{"struct gnttab_query_size", unsafe.Sizeof(qs), 16, []fieldAt{
			{"dom", unsafe.Offsetof(qs.Dom), 0},
			{"nr_frames", unsafe.Offsetof(qs.NrFrames), 4},
			{"max_nr_frames", unsafe.Offsetof(qs.MaxNrFrames), 8},
			{"status", unsafe.Offsetof(qs.Status), 12}}},
		// domid_t dom; (2) uint32 nr_frames; int16 status; (6) handle.
		{"struct gnttab_setup_table", unsafe.Sizeof(st), 24, []fieldAt{
			{"dom", unsafe.Offsetof(st.Dom), 0},
			{"nr_frames", unsafe.Offsetof(st.NrFrames), 4},
			{"status", unsafe.Offsetof(st.Status), 8},
			{"frame_list", unsafe.Offsetof(st.FrameList), 16}}},
		{"struct gnttab_set_version", unsafe.Sizeof(sv), 4, []fieldAt{
			{"version", unsafe.Offsetof(sv.Version), 0}}},
		{"struct gnttab_get_version", unsafe.Sizeof(gv), 8, []fieldAt{
			{"dom", unsafe.Offsetof(gv.Dom), 0},
			{"pad", unsafe.Offsetof(gv.Pad), 2},
			{"version", unsafe.Offsetof(gv.Version), 4}}},
	})
	if unsafe.Sizeof(qs.Status) != 2 || unsafe.Alignof(e) != 4 {
		t.Errorf("status is %d bytes, entry alignment %d", unsafe.Sizeof(qs.Status), unsafe.Alignof(e))
	}
	if EntriesPerFrame != 512 || MaxEntries != 32768 || EntrySize != unsafe.Sizeof(e) {
		t.Errorf("geometry: %d per frame, %d max, entry %d", EntriesPerFrame, MaxEntries, EntrySize)
	}
}

// The flags and domid of an entry must be the halves of its first word
// that flagsShift and domidShift say, or Grant and Revoke would write
// the wrong half.
func TestHeadWordHalves(t *testing.T) {
	e := EntryV1{Flags: 0x1234, Domid: 0xabcd}
	w := *headWord(&e)
	if uint16(w>>flagsShift) != 0x1234 || uint16(w>>domidShift) != 0xabcd {
		t.Fatalf("word %#x: flags/domid halves swapped", w)
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"GTF_permit_access", GTF_permit_access, 1},
		{"GTF_type_mask", GTF_type_mask, 3},
		{"GTF_readonly", GTF_readonly, 4},
		{"GTF_reading", GTF_reading, 8},
		{"GTF_writing", GTF_writing, 16},
		{"GTF_sub_page", GTF_sub_page, 256},
		{"GTF_transfer_completed", GTF_transfer_completed, 8},
		{"GNTTAB_NR_RESERVED_ENTRIES", GNTTAB_NR_RESERVED_ENTRIES, 8},
		{"GNTTAB_RESERVED_CONSOLE", GNTTAB_RESERVED_CONSOLE, 0},
		{"GNTTAB_RESERVED_XENSTORE", GNTTAB_RESERVED_XENSTORE, 1},
		{"GNTTABOP_setup_table", GNTTABOP_setup_table, 2},
		{"GNTTABOP_copy", GNTTABOP_copy, 5},
		{"GNTTABOP_query_size", GNTTABOP_query_size, 6},
		{"GNTTABOP_set_version", GNTTABOP_set_version, 8},
		{"GNTTABOP_get_version", GNTTABOP_get_version, 10},
		{"GNTTABOP_cache_flush", GNTTABOP_cache_flush, 12},
		{"GNTST_bad_gntref", int(GNTST_bad_gntref), -3},
		{"GNTST_eagain", int(GNTST_eagain), -12},
		{"GNTST_no_space", int(GNTST_no_space), -13},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestStatusNames(t *testing.T) {
	for s := GNTST_no_space; s <= GNTST_okay; s++ {
		if s.Name() == "" {
			t.Errorf("Status(%d) has no name", s)
		}
	}
	if got := GNTST_bad_gntref.Error(); got != "gnttab: GNTST_bad_gntref (-3)" {
		t.Errorf("Error() = %q", got)
	}
	if Status(-14).Name() != "" || Status(1).Name() != "" {
		t.Error("names for values Xen does not define")
	}
	if got := Status(-14).Error(); got != "gnttab: unknown status (-14)" {
		t.Errorf("Error() = %q", got)
	}
}
