package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goxen/goxen/bench"
)

// report is results.md.
func report(header string, s *bench.Session, figs []bench.Figure, cols bench.Columns, a *artifacts) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# goxen against Linux: `make bench`\n\n%s\n\n", header)
	w("Each figure for goxen and for Debian's Linux (`%s`, the same box, the same session) ", linuxCmd)
	w("as a PVH domU (xl.cfg `type = \"pvh\"`) and as a classic PV domU (`type = \"pv\"`), as far as -modes ran them, ")
	w("and in each mode the ratio goxen/Linux; a goal is goxen's against Linux in the same mode, and in PV ")
	w("every figure both kernels have is held to at most 1.0× Linux PV's (at least 1.0× for throughput). ")
	w("The floor column is the hand-assembled floor guest's (a PVH guest, package bench: ")
	w("it asks for its console ring, writes one line, powers off). Boot times are medians over the guests that ")
	w("succeeded; guest figures are bench/guest's own (the median of 5 runs each), one guest per kernel and mode. ")
	w("The ELF sizes and the smallest memory are measured once, in the PVH columns. ")
	w("A column none of whose guests succeeded is n/a, with the line that says why under the table.\n\n")
	w("%s\n", bench.Table(figs, cols))
	w("`ratios.png` plots the goxen/Linux PVH column on a log axis (`ratios-pv.png` the PV one), one row per figure: ")
	w("a stem from parity (1×) to the ratio, green where goxen does better than Linux, red where it does worse.\n\n")
	w("## How each figure was measured\n\n%s\n", bench.HowTable(figs))
	w("## Every guest of the session\n\nTimes in ms from the unpause (dom0's clock).\n\n%s\n", bench.Spread(s))
	for _, label := range sortedKeys(s.Bisects) {
		w("Bisection `%s`:", label)
		for _, st := range s.Bisects[label] {
			v := "fails"
			if st.OK {
				v = "runs"
			}
			w(" %d MiB %s (%s);", st.Memory, v, st.Why)
		}
		if m, ok := s.Min[label]; ok && m > 0 {
			w(" smallest: **%d MiB**.\n\n", m)
		} else {
			w(" none ran.\n\n")
		}
	}
	for _, label := range []string{bench.LabelFloor, bench.LabelHello, bench.LabelPeer,
		bench.ModeLabel(bench.LabelHello, bench.PV), bench.ModeLabel(bench.LabelPeer, bench.PV)} {
		rs := s.RunsOf(label)
		if len(rs) == 0 || len(rs[0].Logs) == 0 {
			continue
		}
		w("## Boot of `%s`, line by line (first guest)\n\nms from the unpause at which dom0 saw each console line in xenconsoled's log.\n\n```\n", label)
		for _, l := range rs[0].Logs {
			w("%9.1f  %s\n", l.MS, l.Text)
		}
		w("```\n\n")
	}
	w("## Where the bytes of hello go\n\n")
	w("| ELF | bytes |\n|---|---:|\n")
	w("| goxen build: hello.elf, what Xen boots | %d |\n", a.sizes.Hello)
	w("| hello.elf.dbg: the same kernel with symbols and DWARF | %d |\n", a.sizes.HelloDebug)
	w("| go build -ldflags='-s -w', linux/amd64 | %d |\n", a.sizes.LinuxHello)
	w("| go build, linux/amd64 | %d |\n\n", a.sizes.LinuxHelloFull)
	w("Sections of the boot image by file size, against the stripped Linux hello:\n\n")
	sections := map[string]map[string]int64{}
	var order []string
	seen := map[string]bool{}
	for _, e := range []struct{ name, path string }{{"goxen", a.hello}, {"Linux", a.helloLinux}} {
		ss, _, err := bench.ELFSections(e.path)
		if err != nil {
			continue
		}
		sections[e.name] = map[string]int64{}
		for _, sec := range ss {
			sections[e.name][sec.Name] = sec.Size
			if !seen[sec.Name] {
				seen[sec.Name] = true
				order = append(order, sec.Name)
			}
		}
	}
	w("| section | goxen hello.elf | Linux -s -w |\n|---|---:|---:|\n")
	for _, name := range order {
		w("| %s | %d | %d |\n", name, sections["goxen"][name], sections["Linux"][name])
	}
	w("\nSymbols by package (`go tool nm -size` of hello.elf.dbg and of the unstripped Linux hello), the 20 largest for goxen:\n\n")
	gx, lx := bench.PackageSizes(a.nmHello), bench.PackageSizes(a.nmLinux)
	lmap := map[string]int64{}
	var ltotal, gtotal int64
	for _, p := range lx {
		lmap[p.Package] = p.Size
		ltotal += p.Size
	}
	for _, p := range gx {
		gtotal += p.Size
	}
	w("| package | goxen | Linux | goxen − Linux |\n|---|---:|---:|---:|\n")
	for i, p := range gx {
		if i == 20 {
			break
		}
		w("| %s | %d | %d | %+d |\n", p.Package, p.Size, lmap[p.Package], p.Size-lmap[p.Package])
	}
	w("| all symbols | %d | %d | %+d |\n\n", gtotal, ltotal, gtotal-ltotal)
	if len(s.Notes) > 0 {
		w("## Notes from dom0\n\n")
		for _, n := range s.Notes {
			w("- %s\n", n)
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
