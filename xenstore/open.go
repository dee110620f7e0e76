package xenstore

import (
	"errors"
	"os"
)

// Where Open looks, in order. /dev/xen/xenbus is Linux's (and the goxen
// kernel's) device giving a process the kernel's own connection to
// xenstore; /proc/xen/xenbus is its name on old Linux with xenfs. The
// sockets are xenstored's, found in dom0 (and driver domains running
// xenstored): Xen's tools put it at $XEN_RUN_STORED/socket, which is
// /var/run/xenstored/socket by default and /run/xenstored/socket on
// distributions that configure rundir=/run.
var openPaths = []string{
	"/dev/xen/xenbus",
	"/proc/xen/xenbus",
	"/var/run/xenstored/socket",
	"/run/xenstored/socket",
}

// openFile opens a device; tests put a fake one behind it.
var openFile = func(path string) (*os.File, error) { return os.OpenFile(path, os.O_RDWR, 0) }

// Open connects to xenstore the way a process does. If the environment
// variable XENSTORED_PATH is set (libxenstore honours it too), only that
// path is tried. Otherwise Open tries the paths above in order and uses the
// first that opens. (libxenstore tries the socket before the device; in
// dom0 both reach the same xenstored.)
func Open() (*Client, error) {
	if p := os.Getenv("XENSTORED_PATH"); p != "" {
		return OpenPath(p)
	}
	var errs []error
	for _, p := range openPaths {
		c, err := OpenPath(p)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(append([]error{errors.New("xenstore: no way to reach xenstore")}, errs...)...)
}

// OpenPath connects through path: a device (/dev/xen/xenbus) or a Unix
// socket (xenstored's). It opens the path first and dials it only when it
// turns out to be a socket (open(2) fails ENXIO on one): a stat first
// would ask more of the system than a device needs, and the goxen kernel
// answers open but not stat. Either way, Close releases the descriptor
// even while the reader goroutine waits for a message (see
// deviceTransport).
func OpenPath(path string) (*Client, error) {
	f, err := openFile(path)
	if err == nil {
		return New(deviceTransport(f)), nil
	}
	if !isSocketOpenError(err) {
		return nil, err
	}
	rwc, err := dialUnix(path)
	if err != nil {
		return nil, err
	}
	return New(rwc), nil
}
