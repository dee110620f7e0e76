package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The module root, from this package's directory.
const root = ".."

// refPattern is a backticked code reference: `path/file.go`,
// `path/file.go:Name`, `path/file.go:Type.Method` (or .s). Anything else
// in backticks (Xen's C headers, commands, field names) is prose.
var refPattern = regexp.MustCompile("`([A-Za-z0-9_][A-Za-z0-9_./-]*\\.(?:go|s))(?::([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?))?`")

// textPattern is a TEXT line of Go assembly: `TEXT ·name(SB)` (package
// symbol) or `TEXT name<>(SB)` (file-local).
var textPattern = regexp.MustCompile(`(?m)^TEXT\s+(?:[A-Za-z0-9_/.]*·)?([A-Za-z_][A-Za-z0-9_]*)(?:<>)?\(SB\)`)

type ref struct {
	line       int
	file, name string // name is empty for a reference to a whole file
}

func (r ref) String() string {
	if r.name == "" {
		return "`" + r.file + "`"
	}
	return "`" + r.file + ":" + r.name + "`"
}

// refs lists the code references of a Markdown page, skipping fenced code
// blocks (shell sessions and listings are not references).
func refs(text string) []ref {
	var out []ref
	fenced := false
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range refPattern.FindAllStringSubmatch(l, -1) {
			out = append(out, ref{line: i + 1, file: m[1], name: m[2]})
		}
	}
	return out
}

// checker knows what each source file of the module declares.
type checker struct {
	root  string
	files map[string]fileDecls // by slash path from root
	index map[string][]string  // name -> "file:name" everywhere in the module, built on demand
}

type fileDecls struct {
	names map[string]bool // nil: the file is missing or does not parse
	why   string          // why names is nil
}

func newChecker(root string) *checker {
	return &checker{root: root, files: map[string]fileDecls{}}
}

// decls returns the names a file declares, or nil if it does not exist or
// does not parse (the second result says why).
func (c *checker) decls(file string) (map[string]bool, string) {
	fd, ok := c.files[file]
	if !ok {
		fd.names, fd.why = declsOf(filepath.Join(c.root, filepath.FromSlash(file)))
		if fd.names == nil && fd.why == "" {
			fd.why = "no file " + file
		}
		c.files[file] = fd
	}
	return fd.names, fd.why
}

func declsOf(path string) (map[string]bool, string) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, "" // the caller names the file
	}
	names := map[string]bool{}
	if strings.HasSuffix(path, ".s") {
		for _, m := range textPattern.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
		return names, ""
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, "cannot parse: " + err.Error()
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) == 1 {
				names[recvName(d.Recv.List[0].Type)+"."+d.Name.Name] = true
			} else {
				names[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names[s.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
	return names, ""
}

// recvName is the type name of a method receiver: T, *T, T[P], *T[P].
func recvName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return "?"
		}
	}
}

// where lists the files that declare name now, for the error message.
func (c *checker) where(name string) []string {
	if c.index == nil {
		c.index = map[string][]string{}
		filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			base := d.Name()
			if d.IsDir() {
				if p != c.root && (strings.HasPrefix(base, ".") || base == "testdata" || base == "build" || base == "vendor") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(base, "_test.go") || !(strings.HasSuffix(base, ".go") || strings.HasSuffix(base, ".s")) {
				return nil
			}
			rel, err := filepath.Rel(c.root, p)
			if err != nil {
				return nil
			}
			rel = filepath.ToSlash(rel)
			names, _ := declsOf(p)
			for n := range names {
				c.index[n] = append(c.index[n], rel+":"+n)
				if i := strings.LastIndex(n, "."); i >= 0 { // a method is found by its own name too
					c.index[n[i+1:]] = append(c.index[n[i+1:]], rel+":"+n)
				}
			}
			return nil
		})
		for _, v := range c.index {
			sort.Strings(v)
		}
	}
	if w := c.index[name]; len(w) > 0 {
		return w
	}
	if i := strings.LastIndex(name, "."); i >= 0 {
		return c.index[name[i+1:]]
	}
	return nil
}

// check returns what is wrong with r, or "" if the file exists and
// declares the name.
func (c *checker) check(r ref) string {
	d, why := c.decls(r.file)
	if d != nil && (r.name == "" || d[r.name]) {
		return ""
	}
	msg := why
	if d != nil {
		msg = r.file + " declares no " + r.name
	}
	if r.name != "" {
		if w := c.where(r.name); len(w) > 0 {
			if len(w) > 5 {
				w = append(w[:5:5], "...")
			}
			msg += "; " + r.name + " is declared in " + strings.Join(w, ", ")
		} else {
			msg += "; " + r.name + " is declared nowhere in the module"
		}
	}
	return msg
}

// stale checks every reference of a page and returns one line per stale
// one: "PAGE:LINE: stale reference `file:Name`: why".
func stale(c *checker, page, text string) (problems []string, n int) {
	rs := refs(text)
	for _, r := range rs {
		if why := c.check(r); why != "" {
			problems = append(problems, page+":"+strconv.Itoa(r.line)+": stale reference "+r.String()+": "+why)
		}
	}
	return problems, len(rs)
}

// Every file and function the pages name exists. After a rename or a
// move, the error says which reference is stale and where the name lives
// now: fix the page (docs/PAGE, the line given).
func TestPageReferences(t *testing.T) {
	c := newChecker(root)
	for _, p := range []struct {
		page string
		min  int // fewer references means the convention was lost
	}{{"tour.md", 40}, {"history.md", 8}} {
		t.Run(p.page, func(t *testing.T) {
			b, err := os.ReadFile(p.page)
			if err != nil {
				t.Fatal(err)
			}
			problems, n := stale(c, "docs/"+p.page, string(b))
			for _, s := range problems {
				t.Error(s)
			}
			if n < p.min {
				t.Errorf("docs/%s names %d code references, want at least %d in the form `path/file.go:Name`", p.page, n, p.min)
			}
			t.Logf("docs/%s: %d code references checked", p.page, n)
		})
	}
}

// The checker fails on a wrong name, a wrong file, a wrong method and a
// wrong assembly symbol, and says which reference is stale; it leaves
// prose, C headers and fenced listings alone.
func TestStaleReferenceFails(t *testing.T) {
	page := strings.Join([]string{
		"Good: `kernel/boot.go:boot`, `kernel/entry_amd64.s:pvhEntry`, `console/ring.go:Ring.Write`, `kernel/boot.go`.",
		"Bad name: `kernel/boot.go:bootNoMore`.",
		"Bad file: `kernel/booting.go:boot`.",
		"Bad method: `console/ring.go:Ring.Scribble`.",
		"Bad symbol: `kernel/entry_amd64.s:pvhEntrance`.",
		"Not references: `xen/include/public/io/console.h`, `xl create`, `HVM_PARAM_CONSOLE_PFN`.",
		"```",
		"`kernel/boot.go:insideAFence`",
		"```",
	}, "\n")
	problems, n := stale(newChecker(root), "docs/bad.md", page)
	if n != 8 {
		t.Errorf("%d references found, want 8", n)
	}
	want := []string{
		"docs/bad.md:2: stale reference `kernel/boot.go:bootNoMore`: kernel/boot.go declares no bootNoMore; bootNoMore is declared nowhere in the module",
		"docs/bad.md:3: stale reference `kernel/booting.go:boot`: no file kernel/booting.go; boot is declared in ",
		"docs/bad.md:4: stale reference `console/ring.go:Ring.Scribble`: console/ring.go declares no Ring.Scribble; Ring.Scribble is declared nowhere in the module",
		"docs/bad.md:5: stale reference `kernel/entry_amd64.s:pvhEntrance`: kernel/entry_amd64.s declares no pvhEntrance; pvhEntrance is declared nowhere in the module",
	}
	if len(problems) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(problems), len(want), strings.Join(problems, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, problems[i], w)
		}
	}
	t.Logf("the messages a stale page gives:\n%s", strings.Join(problems, "\n"))
}
