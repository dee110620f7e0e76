//go:build unix

package xenstore

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// dialUnix connects to a Unix stream socket with the syscall package (which
// os imports anyway) rather than net, so that importing this package does
// not pull the network stack into a kernel. The descriptor is made
// non-blocking and handed to os.NewFile, which puts it in the runtime's
// poller: Close then interrupts a blocked Read, as Client.Close needs.
func dialUnix(path string) (io.ReadWriteCloser, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, &os.PathError{Op: "socket", Path: path, Err: err}
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "connect", Path: path, Err: err}
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "setnonblock", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// isSocketOpenError reports an open(2) of a Unix socket: ENXIO on Linux,
// EOPNOTSUPP on the BSDs.
func isSocketOpenError(err error) bool {
	return errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EOPNOTSUPP)
}
