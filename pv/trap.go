package pv

import (
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/pvh"
)

// Faults in PV. The guest kernel runs in ring 3, so it has no IDT of its
// own: it hands Xen a virtual one (HYPERVISOR_set_trap_table), and Xen
// delivers an exception by building a bounce frame on the current stack,
// {RCX, R11, [error code], RIP, CS, RFLAGS, RSP, SS}, and jumping to the
// handler with the other registers as they were (xen/arch/x86/x86_64/entry.S:
// create_bounce_frame). A page fault's address is not in CR2, which a
// ring-3 guest cannot read, but in vcpu_info.arch.cr2 of the shared info
// page (xen/include/public/arch-x86/xen-x86_64.h: struct arch_vcpu_info).
// The event and failsafe callbacks (xen/include/public/callback.h) are
// entered the same way, without an error code.
//
// Nothing here recovers: every trap is reported on the console with its
// vector, error code, RIP and CR2, and the domain is crashed with that
// line as its reason (pvh.Fatal).

// Pseudo-vectors of the callbacks, after the 32 exception vectors.
const (
	vecEvent    = 32 // the event callback: an upcall while events are masked is a bug
	vecFailsafe = 33 // Xen could not load a segment on a return to the guest
)

// Trap is what one trap reports.
type Trap struct {
	Vector  uint64
	Err     uint64
	HasErr  bool
	RIP, CS uint64
	RFLAGS  uint64
	RSP     uint64
	CR2     uint64
	HaveCR2 bool // shared info was mapped, so CR2 could be read
}

// frameWords is the length of the frame Xen pushed for a trap: RCX, R11,
// the error code if any, RIP, CS, RFLAGS, RSP, SS; the failsafe callback
// has DS, ES, FS and GS between R11 and RIP (xen/arch/x86/domain.c:
// load_segments).
func frameWords(vector uint64, hasErr bool) int {
	switch {
	case vector == vecFailsafe:
		return 11
	case hasErr:
		return 8
	}
	return 7
}

// decodeFrame reads a bounce frame of frameWords(vector, hasErr) words.
func decodeFrame(vector uint64, hasErr bool, f []uint64) Trap {
	t := Trap{Vector: vector, HasErr: hasErr}
	i := 2
	switch {
	case vector == vecFailsafe:
		i = 6
	case hasErr:
		t.Err, i = f[2], 3
	}
	t.RIP, t.CS, t.RFLAGS, t.RSP = f[i], f[i+1], f[i+2], f[i+3]
	return t
}

// Append formats the report onto b: "PV trap 14 #PF page fault, error
// 0x2, RIP 0x..., CR2 0x..., RSP 0x...".
func (t *Trap) Append(b []byte) []byte {
	b = append(b, "PV trap "...)
	b = numfmt.AppendInt(b, int64(t.Vector))
	b = append(b, ' ')
	switch {
	case t.Vector < uint64(len(pvh.ExceptionNames)):
		b = append(b, pvh.ExceptionNames[t.Vector]...)
	case t.Vector == vecEvent:
		b = append(b, "event callback with events masked"...)
	case t.Vector == vecFailsafe:
		b = append(b, "failsafe callback (a bad segment on return)"...)
	default:
		b = append(b, "unknown"...)
	}
	if t.HasErr {
		b = append(b, ", error "...)
		b = numfmt.AppendHex64(b, t.Err)
	}
	b = append(b, ", RIP "...)
	b = numfmt.AppendHex64(b, t.RIP)
	if t.Vector == 14 {
		b = append(b, ", CR2 "...)
		if t.HaveCR2 {
			b = numfmt.AppendHex64(b, t.CR2)
		} else {
			b = append(b, "unknown (no shared info yet)"...)
		}
	}
	b = append(b, ", RSP "...)
	b = numfmt.AppendHex64(b, t.RSP)
	return b
}

// DebugFault is the command-line word that makes Early dereference nil
// once the trap table, the console, shared info and the nil guard are in
// place: how the box checks that a fault before any runtime is reported
// with its vector, RIP and CR2, and crashes the domain.
const DebugFault = "goxen.pv-fault"

// hasWord reports whether the space-separated cmdline holds w as a word.
func hasWord(cmdline []byte, w string) bool {
	for i := 0; i < len(cmdline); {
		for i < len(cmdline) && cmdline[i] == ' ' {
			i++
		}
		j := i
		for j < len(cmdline) && cmdline[j] != ' ' {
			j++
		}
		if string(cmdline[i:j]) == w && j > i {
			return true
		}
		i = j
	}
	return false
}
