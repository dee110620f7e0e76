// Command xenbusstall holds a /dev/xen/xenbus that it never reads, with a
// watch on a key it then changes hundreds of times through a second
// connection, so that the unread file's queue overflows. The kernel must
// drop that file's events and keep serving everyone else, its own
// control/shutdown watch included (issue 23, item 8). Then it sleeps
// until the toolstack ends it.
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/goxen/goxen/kernel"
	"github.com/goxen/goxen/xenstore"
)

const writes = 400

func main() {
	f, err := os.OpenFile("/dev/xen/xenbus", os.O_RDWR, 0)
	if err != nil {
		fmt.Println("xenbusstall: open:", err)
		os.Exit(1)
	}
	// An XS_WATCH laid out by hand: its reply and events are never read.
	body := "data/flood\x00stalled\x00"
	m := make([]byte, 16+len(body))
	binary.LittleEndian.PutUint32(m[0:], xenstore.XS_WATCH)
	binary.LittleEndian.PutUint32(m[4:], 1)
	binary.LittleEndian.PutUint32(m[12:], uint32(len(body)))
	copy(m[16:], body)
	if _, err := f.Write(m); err != nil {
		fmt.Println("xenbusstall: watch:", err)
		os.Exit(1)
	}

	xs, err := xenstore.Open()
	if err != nil {
		fmt.Println("xenbusstall: no xenstore:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	key := "data/flood/" + strings.Repeat("k", 200) // long events fill the queue sooner
	t0 := time.Now()
	for i := range writes {
		if err := xs.Write(ctx, key, []byte(strconv.Itoa(i))); err != nil {
			fmt.Printf("xenbusstall: write %d: %v\n", i, err)
			os.Exit(1)
		}
	}
	fmt.Printf("xenbusstall: %d writes under a watch nobody reads, all answered (%.1f s)\n", writes, time.Since(t0).Seconds())
	if err := xs.Write(ctx, "data/flooded", []byte("1")); err != nil {
		fmt.Println("xenbusstall: write data/flooded:", err)
	}
	fmt.Println("sleeping for an hour")
	time.Sleep(time.Hour)
}
