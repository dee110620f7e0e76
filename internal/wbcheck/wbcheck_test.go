package wbcheck

import "testing"

// localName strips the package path, which ends at the first dot after its
// last slash, and never looks inside "(" or "[" for it.
func TestLocalName(t *testing.T) {
	for _, c := range [][2]string{
		{"example.com/p.f", "f"},
		{"example.com/p.(*T).M", "(*T).M"},
		{"example.com/p.T.M", "T.M"},
		{"example.com/p.(*T).M.func1", "(*T).M.func1"},
		{"example.com/a.b/p.T.M", "T.M"},
		{"example.com/p.F[go.shape.*example.com/q.T]", "F[go.shape.*example.com/q.T]"},
		{"p.f", "f"},
	} {
		if got := localName(c[0]); got != c[1] {
			t.Errorf("localName(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

// IsPanic takes the runtime's panic entries and nothing that merely has
// "panic" in its name.
func TestIsPanic(t *testing.T) {
	for fn, want := range map[string]bool{
		"runtime.panicBounds":         true,
		"runtime.panicIndex":          true,
		"runtime.panicdivide":         true,
		"runtime.panicunsafeslicelen": true,
		"runtime.panicwrap":           true,
		"runtime.goPanicIndex":        true,
		"runtime.gopanic":             true,
		"runtime.panicCheck1":         false, // checks whether a panic is allowed; panics only through throw
		"runtime.printpanicval":       false,
		"example.com/p.panicky":       false,
	} {
		if got := IsPanic(fn); got != want {
			t.Errorf("IsPanic(%q) = %v, want %v", fn, got, want)
		}
	}
}
