package bench

import (
	"debug/elf"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Where an ELF's bytes go: its sections by file size, and its symbols by
// package (from `go tool nm -size`), for the ELF-size figure's note.

// Section is one ELF section's share of the file.
type Section struct {
	Name string
	Size int64 // bytes in the file (0 for .bss and the like)
}

// ELFSections lists path's sections that take room in the file, largest
// first, and the file's size.
func ELFSections(path string) ([]Section, int64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	var ss []Section
	var end int64
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL {
			continue
		}
		ss = append(ss, Section{s.Name, int64(s.FileSize)})
		end = max(end, int64(s.Offset+s.FileSize))
	}
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].Size > ss[j].Size })
	return ss, end, nil
}

// PackageSize is the symbols of one package, in bytes.
type PackageSize struct {
	Package string
	Size    int64
}

// PackageSizes adds up `go tool nm -size` output ("addr size type name")
// by the package each symbol belongs to, largest first. Symbols of no
// package (runtime tables, go:buildinfo, type descriptors) count under
// their own name's first word.
func PackageSizes(nm string) []PackageSize {
	sum := map[string]int64{}
	for _, l := range strings.Split(nm, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		sum[SymbolPackage(strings.Join(f[3:], " "))] += size
	}
	out := make([]PackageSize, 0, len(sum))
	for p, s := range sum {
		out = append(out, PackageSize{p, s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Size != out[j].Size {
			return out[i].Size > out[j].Size
		}
		return out[i].Package < out[j].Package
	})
	return out
}

// SymbolPackage is the import path a Go symbol name belongs to:
// "github.com/goxen/goxen/kernel.boot" -> "github.com/goxen/goxen/kernel",
// "runtime.mallocgc" -> "runtime", "type:*os.File" -> "type:",
// "go:buildinfo" -> "go:".
func SymbolPackage(sym string) string {
	if i := strings.Index(sym, ":"); i > 0 && !strings.Contains(sym[:i], ".") && !strings.Contains(sym[:i], "/") {
		return sym[:i+1]
	}
	slash := strings.LastIndex(sym, "/")
	rest := sym[slash+1:]
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		return sym[:slash+1+i]
	}
	return sym
}

// MB renders bytes as decimal megabytes.
func MB(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
