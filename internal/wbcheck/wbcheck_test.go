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
