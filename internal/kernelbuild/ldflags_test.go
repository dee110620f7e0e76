package kernelbuild

import (
	"reflect"
	"strings"
	"testing"

	"github.com/goxen/goxen/linker"
)

func TestMergeLDFlags(t *testing.T) {
	base := linker.LDFlags()
	for _, c := range []struct {
		user, merged, userT, err string
	}{
		{user: "", merged: base},
		{user: "  ", merged: base},
		{user: "-X main.version=1.2", merged: base + " -X main.version=1.2"},
		{user: "-X 'main.greeting=hello world' -w", merged: base + " -X 'main.greeting=hello world' -w"},
		{user: "-s=false", merged: base + " -s=false"},
		{user: "-T 0x400000", merged: base + " -T 0x400000", userT: "0x400000"},
		{user: "--T=0x1000", merged: base + " --T=0x1000", userT: "0x1000"},
		{user: "-s", err: "-s strips the symbol table"},
		{user: "-w -s", err: "-s strips the symbol table"},
		{user: "--s=true", err: "-s strips the symbol table"},
		{user: "-s=maybe", err: "not a boolean"},
		{user: "-T", err: "-T needs an address"},
		{user: "example.com/m=-X a=b", err: "per-package form"},
		{user: "-X 'main.v=a", err: "unterminated"},
		// A word that merely contains -s is not the flag.
		{user: "-X main.flags=-s", merged: base + " -X main.flags=-s"},
	} {
		lf, err := MergeLDFlags(c.user)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.user, err, c.err)
			}
		case err != nil:
			t.Errorf("%q: %v", c.user, err)
		case lf.Merged != c.merged || lf.UserT != c.userT:
			t.Errorf("%q: got %+v, want merged %q, -T %q", c.user, lf, c.merged, c.userT)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	for in, want := range map[string][]string{
		``:                    nil,
		`a b  c`:              {"a", "b", "c"},
		`-X 'a=b c' "d e"f`:   {"-X", "a=b c", "d ef"},
		`'' x`:                {"", "x"},
		"\t-w\n-X\ta=\"'\"  ": {"-w", "-X", "a='"},
	} {
		got, err := splitQuoted(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := splitQuoted(`a "b`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// The one place that says how a kernel is linked also is what a build
// uses: the flags go build gets start with it.
func TestLinkerFlagsAreTheOnePlace(t *testing.T) {
	if got := linker.LDFlags(); got != "-T 0x101000" {
		t.Errorf("linker.LDFlags() = %q", got)
	}
	lf, _ := MergeLDFlags("-w")
	if !strings.HasPrefix(lf.Merged, linker.LDFlags()+" ") {
		t.Errorf("merged %q does not start with linker.LDFlags()", lf.Merged)
	}
}
