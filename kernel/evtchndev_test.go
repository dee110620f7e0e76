package kernel

import (
	"testing"
	"unsafe"
)

// The program's ports: an event marks its port fired for the file that
// bound it, read hands fired ports out once, write accepts only the
// file's own ports, and idle polls them beside the kernel's.
func TestEvtchnDeviceBookkeeping(t *testing.T) {
	defer func() { devPorts = [maxDevPorts]devPort{}; idleNPort = 0 }()
	devPorts[3] = devPort{port: 40, owner: 1}
	devPorts[7] = devPort{port: 41, owner: 2}
	idlePorts[0], idleNPort = 2, 1

	var pb [len(idlePorts) + maxDevPorts]uint32
	if got := pollPorts(&pb); len(got) != 3 || got[0] != 2 || got[1] != 40 || got[2] != 41 {
		t.Fatalf("pollPorts = %v, want [2 40 41]", got)
	}
	if devPortEvent(99) {
		t.Fatal("an unknown port was taken")
	}
	if !devPortEvent(41) || !devPorts[7].fired || devPorts[3].fired {
		t.Fatal("port 41 not marked fired for its owner alone")
	}
	var buf [4]uint32
	p := uintptr(unsafe.Pointer(&buf[0]))
	if n := evtchnRead(0, true, p, 16); n != -eAGAIN {
		t.Fatalf("read on file 0 with nothing fired = %d, want EAGAIN", n)
	}
	if n := evtchnRead(1, true, p, 16); n != 4 || buf[0] != 41 {
		t.Fatalf("read on file 1 = %d %v, want port 41", n, buf)
	}
	if n := evtchnRead(1, true, p, 16); n != -eAGAIN {
		t.Fatalf("a second read = %d: a fired port is handed out once", n)
	}
	if n := evtchnRead(5, true, p, 16); n != 0 {
		t.Fatalf("read on a file with no port = %d, want 0", n)
	}
	if n := evtchnRead(1, true, p, 3); n != -eINVAL {
		t.Fatalf("a 3-byte read = %d, want EINVAL", n)
	}
	buf[0], buf[1] = 41, 40
	if n := evtchnWrite(1, p, 4); n != 4 {
		t.Fatalf("unmasking its own port = %d", n)
	}
	if n := evtchnWrite(1, p, 8); n != -eINVAL {
		t.Fatalf("unmasking another file's port = %d, want EINVAL", n)
	}
	if n := evtchnWrite(1, p, 6); n != -eINVAL {
		t.Fatalf("a 6-byte write = %d, want EINVAL", n)
	}
}

func TestGntallocRanges(t *testing.T) {
	defer func() { shares = [maxShares]share{} }()
	shares[2] = share{owner: 1, n: 4, pa: 0x100000, index: 3 * shareStride}
	if s := shareAt(0, 3*shareStride); s != &shares[2] {
		t.Fatal("shareAt did not find the file's allocation")
	}
	if shareAt(1, 3*shareStride) != nil {
		t.Fatal("another file's allocation was found")
	}
	if got := gntallocMmap(0, 4*4096, 3*shareStride, 0); got != 0x100000 {
		t.Fatalf("mmap = %#x, want the frames' address", got)
	}
	if got := gntallocMmap(0, 5*4096, 3*shareStride, 0); got != -eINVAL {
		t.Fatalf("mmap beyond the allocation = %d", got)
	}
	if got := gntallocMmap(0, 4096, 3*shareStride, 0x10); got != -eINVAL {
		t.Fatalf("MAP_FIXED = %d", got)
	}
	if gntallocMunmap(0x100000, 5*4096) || gntallocMunmap(0xff000, 4096) {
		t.Fatal("munmap reaching outside the pages accepted")
	}
	// Given up while mapped (libxengnttab deallocates right after mmap;
	// a program may close the device): the pages live on until munmap.
	dropShare(&shares[2])
	if shares[2].owner != 1 || !shares[2].mapped {
		t.Fatal("a mapped allocation was released when given up")
	}
	if shareAt(0, 3*shareStride) != nil {
		t.Fatal("a given-up allocation can still be mapped")
	}
	if !gntallocMunmap(0x101000, 4096) {
		t.Fatal("munmap inside the pages refused")
	}
	if gntallocMunmap(0x100000, 4096) {
		t.Fatal("a second munmap of released pages was taken for a mapping")
	}
}
