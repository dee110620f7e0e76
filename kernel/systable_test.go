package kernel

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update", false, "rewrite the README's system call table from syscallTable")

// sysConsts maps syscall.go's sysXxx constants to their numbers.
func sysConsts(t *testing.T, f *ast.File) map[string]uint64 {
	m := map[string]uint64{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			for i, n := range v.Names {
				if !strings.HasPrefix(n.Name, "sys") || i >= len(v.Values) {
					continue
				}
				lit, ok := v.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				x, err := strconv.ParseUint(lit.Value, 0, 64)
				if err != nil {
					t.Fatal(err)
				}
				m[n.Name] = x
			}
		}
	}
	return m
}

// The table and the code agree: dispatch has a case for every number the
// table lists as answered, and for no other (rt_sigreturn is answered in
// syscallGo, before dispatch).
func TestSyscallTableMatchesDispatch(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "syscall.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := sysConsts(t, f)
	var handled []uint64
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		switch fn.Name.Name {
		case "dispatch":
			ast.Inspect(fn, func(n ast.Node) bool {
				if cc, ok := n.(*ast.CaseClause); ok {
					for _, e := range cc.List {
						id, ok := e.(*ast.Ident)
						if !ok {
							t.Errorf("dispatch: a case that is not a sysXxx constant: %T", e)
							continue
						}
						v, ok := consts[id.Name]
						if !ok {
							t.Errorf("dispatch: case %s is not a constant of syscall.go", id.Name)
						}
						handled = append(handled, v)
					}
				}
				return true
			})
		case "syscallGo":
			ast.Inspect(fn, func(n ast.Node) bool {
				if b, ok := n.(*ast.BinaryExpr); ok && b.Op == token.EQL {
					if id, ok := b.Y.(*ast.Ident); ok && strings.HasPrefix(id.Name, "sys") {
						handled = append(handled, consts[id.Name])
					}
				}
				return true
			})
		}
	}
	if len(handled) < 10 {
		t.Fatalf("found only %d handled calls: the test no longer reads syscall.go right", len(handled))
	}
	var listed []uint64
	for _, s := range syscallTable {
		listed = append(listed, uint64(s.nr))
		if s.name == "" || s.note == "" && s.support != supported {
			t.Errorf("table entry %d (%q): a name, and a note unless supported, please", s.nr, s.name)
		}
	}
	slices.Sort(handled)
	slices.Sort(listed)
	for _, nr := range handled {
		if _, ok := slices.BinarySearch(listed, nr); !ok {
			t.Errorf("dispatch answers system call %d, which syscallTable does not list", nr)
		}
	}
	for _, nr := range listed {
		if _, ok := slices.BinarySearch(handled, nr); !ok {
			t.Errorf("syscallTable lists system call %d (%s), which dispatch does not answer", nr, sysName(nr))
		}
	}
	if n := len(slices.Compact(listed)); n != len(syscallTable) {
		t.Errorf("syscallTable lists a number twice")
	}
}

const (
	readmeBegin = "<!-- syscall table: made from kernel/systable.go by `go test ./kernel -run README -update` -->"
	readmeEnd   = "<!-- end of syscall table -->"
)

// renderTable is the README's table of system calls, in number order.
func renderTable() string {
	rows := slices.Clone(syscallTable[:])
	slices.SortFunc(rows, func(a, b sysInfo) int { return int(a.nr) - int(b.nr) })
	var b strings.Builder
	b.WriteString(readmeBegin + "\n\n| nr | call | support | note |\n|---|---|---|---|\n")
	for _, s := range rows {
		b.WriteString("| " + strconv.Itoa(int(s.nr)) + " | `" + s.name + "` | " + supportNames[s.support] + " | " + s.note + " |\n")
	}
	b.WriteString("\nAny other call prints one line naming it and fails ENOSYS.\n\n" + readmeEnd)
	return b.String()
}

// The README's list of system calls is made from the table, so the two
// cannot disagree.
func TestREADMESyscallTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, readmeBegin), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q ... %q", readmeBegin, readmeEnd)
	}
	want := renderTable()
	got := s[i : j+len(readmeEnd)]
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile("../README.md", []byte(s[:i]+want+s[j+len(readmeEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md updated")
		return
	}
	t.Errorf("README.md's system call table differs from kernel/systable.go; run: go test ./kernel -run README -update")
}

func TestSysName(t *testing.T) {
	for nr, want := range map[uint64]string{0: "read", 15: "rt_sigreturn", 262: "newfstatat", 9999: ""} {
		if got := sysName(nr); got != want {
			t.Errorf("sysName(%d) = %q, want %q", nr, got, want)
		}
	}
}
