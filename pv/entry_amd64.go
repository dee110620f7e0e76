//go:build amd64

package pv

// Symbols of entry_amd64.s.

// Entry is the 64-bit PV entry shared by both flavours: a flavour's entry
// (the one the XEN_ELFNOTE_ENTRY note names) puts its continuation's
// address in %rdi and jumps here. Entry keeps %rsi (start_info), sets the
// FS base to package pvh's early TLS, moves to pvh's early stack and calls
// the continuation, which must not return.
func Entry()

// crash shuts the domain down with SHUTDOWN_crash, in assembly.
func crash()

// trapCommon is where every trap stub goes (see trap.go).
func trapCommon()

// The trap stubs: one per vector of the trap table, and the event and
// failsafe callbacks.
func trap0()
func trap1()
func trap3()
func trap4()
func trap5()
func trap6()
func trap7()
func trap8()
func trap9()
func trap10()
func trap11()
func trap12()
func trap13()
func trap14()
func trap16()
func trap17()
func trap18()
func trap19()
func trapEvent()
func trapFailsafe()

// trapVectors are the vectors of the stubs, in trapAddrs's order: the
// architectural exceptions but NMI (Xen delivers it through its own
// callback) and the reserved 15.
var trapVectors = [...]uint8{0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19}

// trapAddrs writes the stubs' addresses.
//
//go:noescape
func trapAddrs(out *[len(trapVectors)]uint64, event, failsafe *uint64)

// trapStack is the stack trap runs on.
var trapStack [16384]byte

// startInfoVA is %rsi at entry: the virtual address of start_info. It has
// a non-zero initial value so that it lands in .data.
var startInfoVA uint64 = 1

// archPrctlFS enables trap14's repair of a ring-3 arch_prctl(ARCH_SET_FS)
// (EmulateArchPrctlFS); eventsExpected lets trapEvent return at once
// (InitTimer).
var archPrctlFS, eventsExpected uint8
