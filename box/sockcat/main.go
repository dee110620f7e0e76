// Command sockcat talks to a Unix socket from the box's dom0, where
// busybox's nc cannot: a channel's socket (QEMU listens there) or a
// vchan's (vchan-socket-proxy does). The box puts it in dom0 as
// /usr/bin/sockcat when a guest has channels or vchans.
//
//	sockcat SOCKET                      stdin to the socket, the socket to stdout, until the socket ends
//	sockcat -lines 3 SOCKET <queries    the same, but stop after 3 lines have come back
//	sockcat -send 1048576 -recv 1048576 SOCKET
//	                                    send that many pseudo-random bytes while receiving that many;
//	                                    print the CRC-64 (ECMA) of each direction and the rates
//
// It waits up to -wait for the socket to accept a connection (the guest
// may not have published its end yet).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"hash/crc64"
	"io"
	"math/rand"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	lines := flag.Int("lines", 0, "stop after this many lines came back (0: at the socket's end)")
	send := flag.Int64("send", -1, "bulk mode: send this many pseudo-random bytes")
	recv := flag.Int64("recv", 0, "bulk mode: receive this many bytes")
	seed := flag.Int64("seed", 1, "bulk mode: seed of the bytes sent")
	ack := flag.Int("ack", 0, "bulk mode: send first, in blocks of this many bytes, each acknowledged by one byte from the peer; then receive")
	pace := flag.Duration("pace", 0, "bulk mode: send in 1 KiB pieces this far apart (a channel's in[] ring holds 1 KiB)")
	hello := flag.String("hello", "", "bulk mode: send this line first (not counted), e.g. to tell the guest dom0 is there")
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
		if *hello != "" {
			if _, err := io.WriteString(c, *hello+"\n"); err != nil {
				fmt.Fprintln(os.Stderr, "sockcat:", err)
				os.Exit(1)
			}
		}
		if *ack > 0 {
			os.Exit(bulkAcked(c, *send, *recv, *seed, *ack))
		}
		os.Exit(bulk(c, *send, *recv, *seed, *pace))
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
//	sent 1048576 bytes crc64 <hex> in 1.234 s (0.85 MB/s)
//	received 1048576 bytes crc64 <hex> in 1.300 s (0.81 MB/s)
func bulk(c net.Conn, n, m, seed int64, pace time.Duration) int {
	start := time.Now()
	done := make(chan string)
	go func() {
		h := crc64.New(crc64.MakeTable(crc64.ECMA))
		got, err := io.CopyN(h, c, m)
		d := time.Since(start)
		s := fmt.Sprintf("received %d bytes crc64 %x in %.3f s (%.2f MB/s)", got, h.Sum(nil), d.Seconds(), float64(got)/1e6/d.Seconds())
		if err != nil {
			s += fmt.Sprintf(" error %v", err)
		}
		done <- s
	}()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	src := io.TeeReader(io.LimitReader(rand.New(rand.NewSource(seed)), n), h)
	var w io.Writer = c
	if pace > 0 {
		w = pacedWriter{c, pace}
	}
	sent, err := io.CopyBuffer(w, src, make([]byte, 32<<10))
	d := time.Since(start)
	fmt.Printf("sent %d bytes crc64 %x in %.3f s (%.2f MB/s)\n", sent, h.Sum(nil), d.Seconds(), float64(sent)/1e6/d.Seconds())
	if err != nil {
		fmt.Println("send error:", err)
	}
	fmt.Println(<-done)
	if os.Getenv("SOCKCAT_OUTQ") != "" {
		// Diagnostics: what the peer has not read yet of what we sent.
		for i := 0; i < 3; i++ {
			time.Sleep(2 * time.Second)
			if rc, err := c.(*net.UnixConn).SyscallConn(); err == nil {
				rc.Control(func(fd uintptr) {
					var v int32
					syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&v)))
					fmt.Printf("outq: %d bytes not yet read by the peer\n", v)
				})
			}
		}
	}
	if err != nil {
		return 1
	}
	return 0
}

// bulkAcked sends n bytes in blocks of block bytes, waiting after each for
// the peer's one-byte acknowledgement, then receives m bytes; it prints
// the same two lines as bulk. With block no larger than a ring the peer
// drains before acknowledging, no more than one ring's worth is ever in
// flight: what a channel needs, since QEMU 7.2 drops bytes it reads from
// the socket beyond the room in the guest's in[] ring.
func bulkAcked(c net.Conn, n, m, seed int64, block int) int {
	start := time.Now()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	src := io.TeeReader(io.LimitReader(rand.New(rand.NewSource(seed)), n), h)
	buf := make([]byte, block)
	var sent int64
	var ack [1]byte
	for sent < n {
		k, _ := io.ReadFull(src, buf[:min(int64(block), n-sent)])
		if _, err := c.Write(buf[:k]); err != nil {
			fmt.Println("send error:", err)
			return 1
		}
		sent += int64(k)
		if _, err := io.ReadFull(c, ack[:]); err != nil {
			fmt.Printf("no acknowledgement after %d bytes: %v\n", sent, err)
			return 1
		}
	}
	d := time.Since(start)
	fmt.Printf("sent %d bytes crc64 %x in %.3f s (%.2f MB/s)\n", sent, h.Sum(nil), d.Seconds(), float64(sent)/1e6/d.Seconds())
	start = time.Now()
	hr := crc64.New(crc64.MakeTable(crc64.ECMA))
	got, err := io.CopyN(hr, c, m)
	d = time.Since(start)
	fmt.Printf("received %d bytes crc64 %x in %.3f s (%.2f MB/s)\n", got, hr.Sum(nil), d.Seconds(), float64(got)/1e6/d.Seconds())
	if err != nil {
		fmt.Println("receive error:", err)
		return 1
	}
	return 0
}

// pacedWriter writes in 1 KiB pieces, pause apart.
type pacedWriter struct {
	w     io.Writer
	pause time.Duration
}

func (p pacedWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), 1024)
		m, err := p.w.Write(b[:k])
		n += m
		if err != nil {
			return n, err
		}
		b = b[k:]
		time.Sleep(p.pause)
	}
	return n, nil
}
