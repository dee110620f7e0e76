package evtchn

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

// Device is /dev/xen/evtchn opened by a program: event channels for code
// that runs on a kernel, not in one. The goxen kernel offers the device
// with the interface of Linux's (include/uapi/xen/evtchn.h), so a Device
// works in a goxen guest and in a Linux domain, dom0 included.
//
// A Device is safe for concurrent use; typically one goroutine waits while
// others notify. Close ends a Wait blocked in another goroutine, in both
// environments (see Close).
type Device struct {
	f  *os.File
	rc syscall.RawConn // f's descriptor, only while f is open
}

// DevicePath is where the device lives.
const DevicePath = "/dev/xen/evtchn"

// Linux's request numbers, _IOC(_IOC_NONE, 'E', nr, size) (evtchn.h).
const (
	ioctlBindInterdomain = 8<<16 | 'E'<<8 | 1
	ioctlBindUnboundPort = 4<<16 | 'E'<<8 | 2
	ioctlUnbind          = 4<<16 | 'E'<<8 | 3
	ioctlNotify          = 4<<16 | 'E'<<8 | 4
)

// OpenDevice opens DevicePath. It opens it as an os.File: on Linux the
// device can be polled (evtchn_poll in drivers/xen/evtchn.c), so the
// runtime's poller waits for events and Close can interrupt that wait;
// the goxen kernel refuses epoll on it and os falls back to blocking
// reads, which the UNBIND of the file's last port ends instead.
func OpenDevice() (*Device, error) {
	f, err := openFile(DevicePath)
	if err != nil {
		return nil, fmt.Errorf("evtchn: open %s: %w", DevicePath, err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("evtchn: open %s: %w", DevicePath, err)
	}
	return &Device{f: f, rc: rc}, nil
}

// openFile and ioctl are the system calls; tests put a fake device behind
// them.
var (
	openFile = func(path string) (*os.File, error) { return os.OpenFile(path, os.O_RDWR, 0) }
	ioctl    = func(fd uintptr, req uintptr, arg unsafe.Pointer) (uintptr, syscall.Errno) {
		r, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
		return r, e
	}
)

// ioctl runs an ioctl on the device's descriptor, which the os.File keeps
// from being closed meanwhile; after Close it fails ("use of closed
// file") and touches no descriptor.
func (d *Device) ioctl(req uintptr, arg unsafe.Pointer) (uintptr, error) {
	var r uintptr
	var e syscall.Errno
	if err := d.rc.Control(func(fd uintptr) { r, e = ioctl(fd, req, arg) }); err != nil {
		return 0, err
	}
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// BindUnbound allocates a port that domain remote may bind to
// (EVTCHNOP_alloc_unbound) and returns it, bound to this device.
func (d *Device) BindUnbound(remote uint16) (uint32, error) {
	a := [1]uint32{uint32(remote)}
	port, err := d.ioctl(ioctlBindUnboundPort, unsafe.Pointer(&a))
	if err != nil {
		return 0, fmt.Errorf("evtchn: allocating a port for domain %d: %w", remote, err)
	}
	return uint32(port), nil
}

// BindInterdomain binds a local port to port remotePort that domain remote
// allocated for this domain (EVTCHNOP_bind_interdomain), and returns it.
func (d *Device) BindInterdomain(remote uint16, remotePort uint32) (uint32, error) {
	a := [2]uint32{uint32(remote), remotePort}
	port, err := d.ioctl(ioctlBindInterdomain, unsafe.Pointer(&a))
	if err != nil {
		return 0, fmt.Errorf("evtchn: binding to port %d of domain %d: %w", remotePort, remote, err)
	}
	return uint32(port), nil
}

// Notify sends an event on a port bound to this device.
func (d *Device) Notify(port uint32) error {
	a := [1]uint32{port}
	if _, err := d.ioctl(ioctlNotify, unsafe.Pointer(&a)); err != nil {
		return fmt.Errorf("evtchn: notify port %d: %w", port, err)
	}
	return nil
}

// Unbind closes a port bound to this device. On goxen a Wait blocked on
// a device left with no port returns (see Wait); Linux's UNBIND wakes no
// reader (drivers/xen/evtchn.c), Close does (see Close).
func (d *Device) Unbind(port uint32) error {
	a := [1]uint32{port}
	if _, err := d.ioctl(ioctlUnbind, unsafe.Pointer(&a)); err != nil {
		return fmt.Errorf("evtchn: unbind port %d: %w", port, err)
	}
	return nil
}

// Wait blocks until one of the device's ports has fired, appends the ports
// that did to ports and returns it, after unmasking them (Linux masks a
// port when it fires). On goxen, a device with no port bound returns at
// once with nothing appended. After Close it fails (os.ErrClosed).
func (d *Device) Wait(ports []uint32) ([]uint32, error) {
	var buf [16 * 4]byte
	n, err := d.f.Read(buf[:])
	if err == io.EOF {
		return ports, nil // goxen: no port bound
	}
	if err != nil {
		return ports, fmt.Errorf("evtchn: read %s: %w", DevicePath, err)
	}
	start := len(ports)
	for i := 0; i+4 <= n; i += 4 {
		ports = append(ports, binary.LittleEndian.Uint32(buf[i:]))
	}
	if n >= 4 {
		if _, err := d.f.Write(buf[:n&^3]); err != nil {
			return ports, fmt.Errorf("evtchn: unmask %v: %w", ports[start:], err)
		}
	}
	return ports, nil
}

// Close closes the device, and with it every port still bound. On Linux
// a Wait blocked in another goroutine returns: the poller wakes it (a
// close(2) alone would not, as the sleeping read holds the file). On goxen
// the read is a blocking one, and os closes the descriptor only after it
// returns, which the unbinding of the file's last port makes it do (see
// Port.Close).
func (d *Device) Close() error { return d.f.Close() }
