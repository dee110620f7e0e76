package linker

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fuzzSeeds are small hand-built ELFs and their AddNotes outputs.
func fuzzSeeds(t testing.TB) map[string][]byte {
	plain := miniELF(miniOpts{})
	patched, err := AddNotes(plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"mini":         plain,
		"mini-patched": patched,
		"mini-foreign": miniELF(miniOpts{foreignNote: xenNote(XEN_ELFNOTE_PHYS32_ENTRY, le.AppendUint32(nil, miniBase+miniCodeOff))}),
		"mini-nostack": miniELF(miniOpts{noStack: true}),
	}
}

// FuzzAddNotes feeds mutated small ELFs to AddNotes. It must never panic,
// and whatever it accepts it must accept again with identical output, with
// a PHYS32_ENTRY note that XenNotes finds.
func FuzzAddNotes(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		XenNotes(in) // must not panic either
		out, res, err := Report(in, Options{})
		if err != nil {
			if out != nil {
				t.Fatalf("output with error %v", err)
			}
			return
		}
		again, err := AddNotes(out, Options{})
		if err != nil {
			t.Fatalf("second run failed: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("second run differs (%d vs %d bytes)", len(again), len(out))
		}
		notes, err := XenNotes(out)
		if err != nil {
			t.Fatalf("XenNotes(output): %v", err)
		}
		for _, n := range notes {
			if n.Type == XEN_ELFNOTE_PHYS32_ENTRY && numeric(n.Desc) == res.Entry {
				return
			}
		}
		t.Fatalf("output has no PHYS32_ENTRY=%#x: %v", res.Entry, notes)
	})
}

// TestFuzzSeedFiles keeps testdata/fuzz/FuzzAddNotes in step with the
// builders above; run with LINKER_WRITE_SEEDS=1 to rewrite the files.
func TestFuzzSeedFiles(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzAddNotes")
	for name, b := range fuzzSeeds(t) {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		p := filepath.Join(dir, name)
		if os.Getenv("LINKER_WRITE_SEEDS") != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with LINKER_WRITE_SEEDS=1 to create it)", err)
		}
		if string(got) != want {
			t.Errorf("%s is stale; run with LINKER_WRITE_SEEDS=1", p)
		}
	}
}
