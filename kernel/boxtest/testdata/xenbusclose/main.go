// Command xenbusclose opens /dev/xen/xenbus 150 times, and each time
// starts a transaction and sets a watch, then closes the file without
// ending either. Closing must end both, as Linux's xenbus_file_release
// does (issue 23, item 11): otherwise xenstored's per-domain quotas (10
// transactions, 128 watches by default) refuse the later ones.
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"

	_ "github.com/goxen/goxen/kernel"
	"github.com/goxen/goxen/xenstore"
)

const rounds = 150

func main() {
	for i := range rounds {
		if err := round(i); err != nil {
			fmt.Printf("xenbusclose: round %d: %v\n", i, err)
			os.Exit(1)
		}
	}
	fmt.Printf("xenbusclose: %d files closed with a transaction and a watch open; every start and watch was granted\n", rounds)
}

// round opens the device, starts a transaction and sets a watch, and
// closes the file.
func round(i int) error {
	f, err := os.OpenFile("/dev/xen/xenbus", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := ask(f, xenstore.XS_TRANSACTION_START, "\x00"); err != nil {
		return fmt.Errorf("transaction start: %w", err)
	}
	return ask(f, xenstore.XS_WATCH, "data/closed\x00c"+strconv.Itoa(i)+"\x00")
}

// ask writes one request and reads messages until its reply (a watch
// event may come first).
func ask(f *os.File, typ uint32, body string) error {
	m := make([]byte, 16+len(body))
	binary.LittleEndian.PutUint32(m[0:], typ)
	binary.LittleEndian.PutUint32(m[4:], 7)
	binary.LittleEndian.PutUint32(m[12:], uint32(len(body)))
	copy(m[16:], body)
	if _, err := f.Write(m); err != nil {
		return err
	}
	for {
		var h [16]byte
		if _, err := io.ReadFull(f, h[:]); err != nil {
			return err
		}
		p := make([]byte, binary.LittleEndian.Uint32(h[12:]))
		if _, err := io.ReadFull(f, p); err != nil {
			return err
		}
		switch binary.LittleEndian.Uint32(h[0:]) {
		case xenstore.XS_WATCH_EVENT:
			continue
		case xenstore.XS_ERROR:
			return fmt.Errorf("refused: %q", p)
		}
		return nil
	}
}
