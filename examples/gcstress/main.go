// Command gcstress allocates 300 MB in total, keeping at most 8 MB live,
// for up to 60 s, checking every buffer's contents before dropping it. It
// runs at memory = 32: the garbage collector and the kernel's madvise must
// really return memory.
package main

import (
	"fmt"
	"hash/crc32"
	"os"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

const (
	total    = 300 << 20
	live     = 8 << 20
	bufSize  = 64 << 10
	slots    = live / bufSize
	deadline = 60 * time.Second
)

type buf struct {
	data []byte
	sum  uint32
}

func main() {
	var ring [slots]*buf
	start := time.Now()
	seed := uint32(1)
	allocated := 0
	for i := 0; allocated < total; i++ {
		if time.Since(start) > deadline {
			fmt.Println("gcstress: out of time after", allocated>>20, "MB")
			os.Exit(1)
		}
		s := i % slots
		if b := ring[s]; b != nil && crc32.ChecksumIEEE(b.data) != b.sum {
			fmt.Printf("gcstress: buffer %d corrupted\n", i-slots)
			os.Exit(1)
		}
		b := &buf{data: make([]byte, bufSize)}
		for j := range b.data {
			seed = seed*1664525 + 1013904223
			b.data[j] = byte(seed >> 24)
		}
		b.sum = crc32.ChecksumIEEE(b.data)
		ring[s] = b
		allocated += bufSize
	}
	fmt.Printf("gcstress: %d MB allocated, %d MB live at most, all checksums good, %v\n",
		allocated>>20, live>>20, time.Since(start).Round(time.Millisecond))
}
