//go:build box

package box

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/goxen/goxen/linker"
)

// The probe is a PVH kernel of a few hand-assembled instructions. It is
// entered in 32-bit protected mode with paging off (the PVH boot ABI),
// writes "BOXPROBE\n" to the debug port 0xE9 (Xen logs it as
// "(dN) BOXPROBE"), and then ends the way the test asks.
type probeEnd int

const (
	probePoweroff    probeEnd = iota // SCHEDOP_shutdown(SHUTDOWN_poweroff) via vmmcall
	probeSpin                        // sti; hlt forever: never shuts down
	probeCrash                       // SCHEDOP_shutdown(SHUTDOWN_crash), as a panicking kernel does
	probeTripleFault                 // ud2 with no IDT: a triple fault
)

const probeBase = 0x200000 // load and physical address of the image

// probeELF returns the image. withNote=false leaves out the Xen note, so
// Xen's loader must refuse it.
func probeELF(end probeEnd, withNote bool) []byte {
	const (
		codeOff = 0x100
		msg     = "BOXPROBE\n"
	)
	code := []byte{}
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	// Data follows the code at fixed offsets within the page.
	msgAddr := uint32(probeBase + codeOff + 0x80)
	reasonAddr := msgAddr + 0x20
	code = append(code, 0xBE)
	code = append(code, le32(msgAddr)...) // mov esi, msg
	code = append(code, 0xB9)
	code = append(code, le32(uint32(len(msg)))...) // mov ecx, len
	code = append(code, 0x66, 0xBA, 0xE9, 0x00)    // mov dx, 0xe9
	code = append(code, 0xAC, 0xEE, 0xE2, 0xFC)    // 1: lodsb; out dx, al; loop 1b
	switch end {
	case probePoweroff, probeCrash:
		// xen/include/public/xen.h: __HYPERVISOR_sched_op = 29;
		// sched.h: SCHEDOP_shutdown = 2, struct sched_shutdown { reason },
		// SHUTDOWN_poweroff = 0. A 32-bit HVM guest passes args in ebx, ecx.
		code = append(code, 0xB8)
		code = append(code, le32(29)...)
		code = append(code, 0xBB)
		code = append(code, le32(2)...)
		code = append(code, 0xB9)
		code = append(code, le32(reasonAddr)...)
		code = append(code, 0x0F, 0x01, 0xD9) // vmmcall (AMD; QEMU runs -cpu ...,+svm)
		code = append(code, 0xF4, 0xEB, 0xFD) // 2: hlt; jmp 2b
	case probeSpin:
		code = append(code, 0xFB, 0xF4, 0xEB, 0xFC) // 3: sti; hlt; jmp 3b
	case probeTripleFault:
		code = append(code, 0x0F, 0x0B) // ud2
	}
	img := make([]byte, codeOff+0x100)
	copy(img[codeOff:], code)
	copy(img[codeOff+0x80:], msg)
	if end == probeCrash {
		img[codeOff+0xA0] = 3 // sched.h: SHUTDOWN_crash
	} // else the reason stays 0, SHUTDOWN_poweroff

	return linker.WrapFlat(img, probeBase, codeOff, withNote)
}

func writeProbe(t *testing.T, end probeEnd, withNote bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe.elf")
	if err := os.WriteFile(p, probeELF(end, withNote), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
