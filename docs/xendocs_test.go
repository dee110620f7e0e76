package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// xenDocs are the files of Xen's documentation tree that goxen's comments
// and pages cite, each looked up in xen-project/xen: a new citation is
// checked there and added here.
var xenDocs = map[string]bool{
	"docs/man/xen-pv-channel.7.pod":   true,
	"docs/misc/pvh.pandoc":            true,
	"docs/misc/xenstore-paths.pandoc": true,
	"docs/misc/xenstore-ring.txt":     true,
	"docs/misc/xenstore.txt":          true,
}

// xenMoved are files Xen renamed, with where their text lives now.
var xenMoved = map[string]string{
	"docs/misc/channel.txt": "docs/man/xen-pv-channel.7.pod",
}

// xenDocPattern is a citation of a file under Xen's docs/misc or docs/man
// (goxen's own docs/ has neither), also one a comment wraps after the
// slash.
var xenDocPattern = regexp.MustCompile(`docs/(misc|man)/(?:\n\s*(?://|#)?\s*)?([A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9])`)

// xenCitations checks the citations in one file's text and returns what
// is wrong, as file:line: problem.
func xenCitations(file, text string) (problems []string, n int) {
	for _, m := range xenDocPattern.FindAllStringSubmatchIndex(text, -1) {
		n++
		cited := "docs/" + text[m[2]:m[3]] + "/" + text[m[4]:m[5]]
		line := strings.Count(text[:m[0]], "\n") + 1
		switch now, moved := xenMoved[cited]; {
		case moved:
			problems = append(problems, fmt.Sprintf("%s:%d: Xen's %s is %s now", file, line, cited, now))
		case !xenDocs[cited]:
			problems = append(problems, fmt.Sprintf("%s:%d: Xen's %s is not among the documents checked to exist (docs/xendocs_test.go:xenDocs): look it up in xen-project/xen and add it", file, line, cited))
		}
	}
	return problems, n
}

// Every citation of Xen's documentation in the module's Go files and
// Markdown pages names a file Xen has (this file's tables aside).
func TestXenDocCitations(t *testing.T) {
	total := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(base, ".") || base == "build" || base == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if base == "xendocs_test.go" || !(strings.HasSuffix(base, ".go") || strings.HasSuffix(base, ".md")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		problems, n := xenCitations(filepath.ToSlash(rel), string(b))
		total += n
		for _, s := range problems {
			t.Error(s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total < 10 {
		t.Errorf("%d citations of Xen's docs/misc and docs/man found, want at least 10: the pattern lost them", total)
	}
	t.Logf("%d citations of Xen's documentation checked", total)
}

// The check finds a moved file, an unknown one, and a citation a comment
// wraps, and leaves goxen's own docs/ alone.
func TestXenDocCitationsFails(t *testing.T) {
	text := "// Xen's docs/misc/channel.txt says\n" +
		"// docs/misc/\n// xenstore-ring.txt, docs/misc/xenstore.txt.\n" +
		"// docs/misc/nonesuch.txt and docs/tour.md\n"
	problems, n := xenCitations("x.go", text)
	if n != 4 {
		t.Errorf("%d citations found, want 4", n)
	}
	sort.Strings(problems)
	want := []string{
		"x.go:1: Xen's docs/misc/channel.txt is docs/man/xen-pv-channel.7.pod now",
		"x.go:4: Xen's docs/misc/nonesuch.txt is not among the documents checked to exist",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems:\n%s\nwant %d", strings.Join(problems, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, problems[i], w)
		}
	}
}
