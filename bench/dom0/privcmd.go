//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// Domain control from dom0 without the toolstack: XEN_DOMCTL hypercalls
// through Linux's privcmd device, for the two things the runner times to
// the millisecond: the unpause, and the domain's state and CPU time.
// Layouts are Xen 4.17's xen/include/public/domctl.h.

const (
	hypervisorDomctl    = 36       // __HYPERVISOR_domctl
	ioctlPrivcmdHcall   = 0x305000 // _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
	domctlUnpause       = 4        // XEN_DOMCTL_unpausedomain
	domctlGetdomaininfo = 5        // XEN_DOMCTL_getdomaininfo
	domctlSize          = 16 + 128 // struct xen_domctl: header and the union

	dominfDying    = 1 << 0
	dominfShutdown = 1 << 2
)

// Interface versions to try, Xen 4.17's (0x15) first: Xen refuses any
// other with EACCES.
var domctlVersions = []uint32{0x15, 0x14, 0x16, 0x13, 0x17}

type privcmd struct {
	f       *os.File
	buf     []byte // a locked page for the hypercall's argument
	version uint32
}

func openPrivcmd() (*privcmd, error) {
	f, err := os.OpenFile("/dev/xen/privcmd", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	buf, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_POPULATE|syscall.MAP_LOCKED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mmap: %w", err)
	}
	p := &privcmd{f: f, buf: buf}
	for _, v := range domctlVersions {
		p.version = v
		if _, err := p.domctl(domctlGetdomaininfo, 0, nil); err == nil {
			return p, nil
		} else if !errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("XEN_DOMCTL_getdomaininfo(0): %w", err)
		}
	}
	return nil, errors.New("Xen refused every domctl interface version tried")
}

// domctl makes one XEN_DOMCTL call and returns the union part of the
// answer (128 bytes).
func (p *privcmd) domctl(cmd uint32, dom uint16, fill func(u []byte)) ([]byte, error) {
	b := p.buf[:domctlSize]
	clear(b)
	le := binary.LittleEndian
	le.PutUint32(b[0:], cmd)
	le.PutUint32(b[4:], p.version)
	le.PutUint16(b[8:], dom)
	if fill != nil {
		fill(b[16:])
	}
	args := [6]uint64{hypervisorDomctl, uint64(uintptr(unsafe.Pointer(&p.buf[0])))}
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, p.f.Fd(), ioctlPrivcmdHcall, uintptr(unsafe.Pointer(&args)))
	if errno != 0 {
		return nil, errno
	}
	return b[16:], nil
}

// domInfo is what the runner reads of XEN_DOMCTL_getdomaininfo.
type domInfo struct {
	Exists  bool
	Flags   uint32
	CPUTime uint64 // ns
}

func (d domInfo) shutdown() bool { return d.Flags&(dominfShutdown|dominfDying) != 0 }

// reason is the shutdown code (SHUTDOWN_poweroff 0, reboot 1, suspend 2,
// crash 3, watchdog 4, soft_reset 5).
func (d domInfo) reason() int { return int(d.Flags>>16) & 0xff }

func (p *privcmd) info(domid int) (domInfo, error) {
	u, err := p.domctl(domctlGetdomaininfo, uint16(domid), nil)
	if errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.EINVAL) {
		return domInfo{}, nil // no domain at or above domid
	}
	if err != nil {
		return domInfo{}, err
	}
	le := binary.LittleEndian
	// getdomaininfo answers for the first domain at or above the id asked.
	if int(le.Uint16(u[0:])) != domid {
		return domInfo{}, nil
	}
	return domInfo{Exists: true, Flags: le.Uint32(u[4:]), CPUTime: le.Uint64(u[56:])}, nil
}

func (p *privcmd) unpause(domid int) error {
	_, err := p.domctl(domctlUnpause, uint16(domid), nil)
	return err
}
