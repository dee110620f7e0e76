// Command sockcat talks to a Unix socket from the box's dom0, where
// busybox's nc cannot: a channel's socket (QEMU listens there) or a
// vchan's (vchan-socket-proxy does). The box puts it in dom0 as
// /usr/bin/sockcat when a guest has channels or vchans.
//
//	sockcat SOCKET                      stdin to the socket, the socket to stdout, until the socket ends
//	sockcat -lines 3 SOCKET <queries    the same, but stop after 3 lines have come back
//	sockcat -send 1048576 -recv 1048576 SOCKET
//	                                    send that many pseudo-random bytes while receiving that many;
//	                                    print the SHA-256 of each direction and the rates
//
// It waits up to -wait for the socket to accept a connection (the guest
// may not have published its end yet).
package main

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"time"
)

func main() {
	lines := flag.Int("lines", 0, "stop after this many lines came back (0: at the socket's end)")
	send := flag.Int64("send", -1, "bulk mode: send this many pseudo-random bytes")
	recv := flag.Int64("recv", 0, "bulk mode: receive this many bytes")
	seed := flag.Int64("seed", 1, "bulk mode: seed of the bytes sent")
	wait := flag.Duration("wait", 60*time.Second, "how long to retry connecting")
	hold := flag.Duration("hold", 0, "keep the connection this long after stdin ends (lines mode: 0 waits for the lines)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sockcat [-lines N] [-send N -recv M [-seed S]] [-wait D] SOCKET")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	c, err := dial(flag.Arg(0), *wait)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockcat:", err)
		os.Exit(1)
	}
	defer c.Close()
	if *send >= 0 {
		os.Exit(bulk(c, *send, *recv, *seed))
	}
	go func() {
		io.Copy(c, os.Stdin)
		if *hold > 0 {
			time.Sleep(*hold)
			c.Close()
		}
	}()
	if *lines > 0 {
		r := bufio.NewReader(c)
		for i := 0; i < *lines; i++ {
			l, err := r.ReadString('\n')
			os.Stdout.WriteString(l)
			if err != nil {
				fmt.Fprintf(os.Stderr, "sockcat: after %d lines: %v\n", i, err)
				os.Exit(1)
			}
		}
		return
	}
	io.Copy(os.Stdout, c)
}

func dial(path string, wait time.Duration) (net.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		c, err := net.Dial("unix", path)
		if err == nil || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bulk sends n bytes while receiving m, and prints one line per direction:
//
//	sent 1048576 bytes sha256 <hex> in 1.234 s (0.85 MB/s)
//	received 1048576 bytes sha256 <hex> in 1.300 s (0.81 MB/s)
func bulk(c net.Conn, n, m, seed int64) int {
	start := time.Now()
	done := make(chan string)
	go func() {
		h := sha256.New()
		got, err := io.CopyN(h, c, m)
		d := time.Since(start)
		s := fmt.Sprintf("received %d bytes sha256 %x in %.3f s (%.2f MB/s)", got, h.Sum(nil), d.Seconds(), float64(got)/1e6/d.Seconds())
		if err != nil {
			s += fmt.Sprintf(" error %v", err)
		}
		done <- s
	}()
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(rand.New(rand.NewSource(seed)), n), h)
	sent, err := io.Copy(c, src)
	d := time.Since(start)
	fmt.Printf("sent %d bytes sha256 %x in %.3f s (%.2f MB/s)\n", sent, h.Sum(nil), d.Seconds(), float64(sent)/1e6/d.Seconds())
	if err != nil {
		fmt.Println("send error:", err)
	}
	fmt.Println(<-done)
	if err != nil {
		return 1
	}
	return 0
}
