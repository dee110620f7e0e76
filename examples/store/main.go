// Command store shows a program using xenstore: it reads the guest's own
// keys, writes under data/, and prints each change of a key it watches,
// until the toolstack asks it to stop (xl shutdown), when it says goodbye
// and exits.
//
// The client is package xenstore over /dev/xen/xenbus: the same code runs
// in a Linux domain, dom0 included.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/goxen/goxen/xenstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	xs, err := xenstore.Open()
	if err != nil {
		fmt.Println("store: no xenstore:", err)
		os.Exit(1)
	}
	defer xs.Close()

	// Relative paths are under the guest's home, /local/domain/<domid>.
	for _, k := range []string{"name", "domid", "vm"} {
		v, err := xs.Read(ctx, k)
		fmt.Printf("store: %s = %q (err %v)\n", k, v, err)
	}
	if _, err := xs.Read(ctx, "no/such/key"); errors.Is(err, fs.ErrNotExist) {
		fmt.Println("store: no/such/key does not exist, as expected")
	}
	if err := xs.Write(ctx, "data/greeting", []byte("hello from goxen")); err != nil {
		fmt.Println("store: write:", err)
	}
	// One round trip, timed: a read of the key just written.
	const n = 100
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if _, err := xs.Read(ctx, "data/greeting"); err != nil {
			fmt.Println("store: read:", err)
			break
		}
	}
	fmt.Printf("store: wrote data/greeting; a read takes %.3f ms (mean of %d)\n",
		float64(time.Since(t0).Microseconds())/1000/n, n)

	// A value twice the ring's size: the request and the reply each
	// cross the 1024-byte rings in pieces.
	big := make([]byte, 2000) // xenstored lets a domU store at most 2048 bytes a node
	for i := range big {
		big[i] = 'a' + byte(i%26)
	}
	if err := xs.Write(ctx, "data/big", big); err != nil {
		fmt.Println("store: write data/big:", err)
	} else if v, err := xs.Read(ctx, "data/big"); err != nil || string(v) != string(big) {
		fmt.Printf("store: data/big came back wrong: %d bytes, err %v\n", len(v), err)
	} else {
		fmt.Printf("store: a %d-byte value went there and back intact\n", len(v))
	}

	w, err := xs.Watch(ctx, "data/input")
	if err != nil {
		fmt.Println("store: watch:", err)
		os.Exit(1)
	}
	defer w.Close()
	fmt.Println("store: watching data/input")
	for {
		select {
		case <-ctx.Done():
			fmt.Println("store: SIGTERM: the toolstack wants us gone; goodbye")
			return
		case p, ok := <-w.Events():
			if !ok {
				fmt.Println("store: the watch ended:", w.Err())
				os.Exit(1)
			}
			v, err := xs.Read(ctx, p)
			if errors.Is(err, fs.ErrNotExist) {
				continue // the first event fires before the key exists
			}
			fmt.Printf("store: %s changed: %q\n", p, v)
		}
	}
}
