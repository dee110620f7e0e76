package evtchn

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"unsafe"
)

// Device is /dev/xen/evtchn opened by a program: event channels for code
// that runs on a kernel, not in one. The goxen kernel offers the device
// with the interface of Linux's (include/uapi/xen/evtchn.h), so a Device
// works in a goxen guest and in a Linux domain, dom0 included.
//
// A Device is safe for concurrent use; typically one goroutine waits while
// others notify.
type Device struct {
	fd int
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

// OpenDevice opens DevicePath.
func OpenDevice() (*Device, error) {
	fd, err := syscall.Open(DevicePath, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("evtchn: open %s: %w", DevicePath, err)
	}
	return &Device{fd: fd}, nil
}

func (d *Device) ioctl(req uintptr, arg unsafe.Pointer) (uintptr, error) {
	r, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(d.fd), req, uintptr(arg))
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

// Unbind closes a port bound to this device. A Wait blocked on the
// device returns (on goxen at once; see Wait).
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
// once with nothing appended.
func (d *Device) Wait(ports []uint32) ([]uint32, error) {
	var buf [16 * 4]byte
	n, err := syscall.Read(d.fd, buf[:])
	for err == syscall.EINTR {
		n, err = syscall.Read(d.fd, buf[:])
	}
	if err != nil {
		return ports, fmt.Errorf("evtchn: read %s: %w", DevicePath, err)
	}
	start := len(ports)
	for i := 0; i+4 <= n; i += 4 {
		ports = append(ports, binary.LittleEndian.Uint32(buf[i:]))
	}
	if n >= 4 {
		if _, err := syscall.Write(d.fd, buf[:n&^3]); err != nil {
			return ports, fmt.Errorf("evtchn: unmask %v: %w", ports[start:], err)
		}
	}
	return ports, nil
}

// Close closes the device, and with it every port still bound.
func (d *Device) Close() error { return syscall.Close(d.fd) }
