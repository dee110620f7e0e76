// Package box runs a kernel under real Xen 4.17 inside QEMU, so that a
// PVH kernel can be smoke-tested on any Linux machine, without KVM and
// without a Xen host.
//
// # The pieces of a Xen machine
//
// Xen is a hypervisor: the first thing the (virtual) machine boots. It
// owns the CPUs and memory and runs domains. The first domain, dom0, is
// privileged: it runs the toolstack (xl and its helpers) that builds the
// other domains, the domUs. Xen itself only has a serial console; a
// domain's console is either the console_io hypercall (for dom0, Xen
// copies it to the serial line) or a shared-memory ring plus an event
// channel that a console daemon in dom0 (xenconsoled) reads.
//
// PVH is the guest type the project's kernel uses by default: a
// hardware-virtualised guest with no emulated devices, entered in 32-bit
// protected mode at the address given by the XEN_ELFNOTE_PHYS32_ENTRY note
// in its ELF file. Config.Type PV boots the same ELF as a classic PV guest
// instead, entered in 64-bit mode at its XEN_ELFNOTE_ENTRY note: xl.cfg
// type = "pv" in domU mode, dom0=pv (Xen 4.17's default) in dom0 mode.
//
// # The two modes
//
// Dom0 mode hands the kernel to Xen as dom0 (dom0=pvh). Nothing else
// runs, so a boot takes a second or two. The kernel's console is what it
// writes with console_io (copied raw to the serial line) and to the
// debug port 0xE9 (logged by Xen as "(d0) text"). When dom0 shuts down,
// Xen prints "Hardware Dom0 halted" (or crashed, or rebooting) and stops
// the machine but QEMU keeps running, so the box watches for those lines
// and ends QEMU itself.
//
// DomU mode is what a real Xen host does. Debian's Linux boots as a PV
// dom0 from a cached initramfs holding busybox, the Xen kernel modules
// and the xl toolstack. Its init starts xenstored, xen-init-dom0 and
// xenconsoled, creates the guest from a generated xl.cfg, watches it
// until it stops or the guest timeout expires, reads its final state
// with `xl list` (the domain is kept with on_poweroff="preserve" for
// that), and powers the machine off. The per-run files (guest kernel,
// xl.cfg, parameters, input) travel as a second small cpio archive
// appended to the cached one; Linux unpacks concatenated archives.
// Dom0 gets one vCPU, pinned to the first CPU, and the guest the other
// CPUs: Xen never switches one CPU between the two, which under QEMU's
// emulated SVM now and then corrupts the guest's state.
//
// # Talking to the host
//
// The only channel out of the machine is the serial line, shared by Xen,
// dom0 and (through dom0) the guest. Dom0's init tags its lines: "@@BOX"
// marks events (created, unpaused, first console byte, final state),
// "@@G" carries the guest console live, "@@E" xl's error text, and
// "@@L" lines between "@@GUESTLOG-BEGIN" and "@@GUESTLOG-END" the
// complete guest log at the end. The host sorts the stream into
// xen.log, dom0.log and guest.log and decides the Outcome. It times every
// line as it leaves QEMU's pipe, and reads QEMU's CPU time from /proc
// at the guest's console lines and events: Result.ConsoleLines and
// Result.QEMUCPU, measures from outside the guest.
//
// A soak (Config.Repeat) is one dom0 boot that creates the guest again
// and again: dom0 wraps each guest's markers in "@@BOX guest-begin I" and
// "@@BOX guest-end I ...", and the host judges each guest from the lines
// in between (Xen's included: one guest exists at a time) as it would a
// single run, and counts them in Result.Soak.
//
// Typed input reaches a domU through the pseudo-terminal xenconsoled
// gives the guest's console (named in xenstore at
// /local/domain/N/console/tty); in dom0 mode it goes to QEMU's serial
// input, which Xen forwards to dom0.
//
// Ensure installs the Debian packages the box needs and builds the dom0
// image once; the cache key is the installed package versions plus the
// image recipe, so a second run starts at once. Run boots one kernel
// and returns a Result with a one-line Summary. The tests that boot
// real machines carry the build tag "box":
//
//	go test -tags box -count=1 -v ./box/
package box
