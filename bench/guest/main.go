// Command guest is the benchmark program of `make bench`: the same Go
// program built twice, as a goxen kernel (go build -tags goxen, through
// goxen build) and as a plain static linux/amd64 binary, which the box
// boots as /init of a busybox initramfs under Debian's Linux as a PVH
// domU. It times what a Go program asks of its kernel, with Go's clock,
// and prints one machine-readable line per figure:
//
//	BENCH name value unit
//
// (package bench parses them). Its first line, "BENCH-START", is the
// program's first output, which the dom0 side of `make bench` times from
// outside; its last, "BENCH-END", says every figure was printed.
//
// Modes (-mode): bench (every figure, the default), idle (print
// IDLE-START, sleep -idle, print IDLE-DONE: the idle guest of the idle-CPU
// figure), wait (print a line and wait for SIGTERM: the box's main guest
// while dom0 runs the others). -only names figures to run (comma list of
// prefixes), for a quick look.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	mode := flag.String("mode", "bench", "bench, idle or wait")
	idle := flag.Duration("idle", 10*time.Second, "idle mode: how long to sleep")
	only := flag.String("only", "", "comma-separated figure name prefixes to run (default all)")
	consoleMiB := flag.Int("console-mib", 4, "MiB written to stdout for the console figure")
	flag.Parse()

	// The first line: main.main has run. The dom0 side times it.
	fmt.Println("BENCH-START")
	bootFigures()

	switch *mode {
	case "bench":
		var prefixes []string
		if *only != "" {
			prefixes = strings.Split(*only, ",")
		}
		runAll(os.Stdout, prefixes, *consoleMiB)
		fmt.Println("BENCH-END")
	case "idle":
		fmt.Println("IDLE-START")
		time.Sleep(*idle)
		fmt.Println("IDLE-DONE")
	case "wait":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Println("bench: waiting for SIGTERM (xl shutdown)")
		<-ch
		fmt.Println("bench: SIGTERM, exiting")
	default:
		fmt.Fprintf(os.Stderr, "bench: unknown mode %q\n", *mode)
		finish(2)
	}
	finish(0)
}

// emit prints one figure.
func emit(name string, value float64, unit string) {
	fmt.Printf("BENCH %s %s %s\n", name, formatValue(value), unit)
}

// formatValue keeps four significant digits and no exponent.
func formatValue(v float64) string {
	s := fmt.Sprintf("%.4g", v)
	if strings.ContainsAny(s, "e") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}
