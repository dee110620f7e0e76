package xenstore

import (
	"errors"
	"io/fs"
	"strconv"
)

// Errno is an error the server reported in an XS_ERROR reply. The wire
// carries the errno's name, not its number ("for portability", says
// xs_wire.h), so the values here are this package's own: the position in
// xs_wire.h's xsd_errors table, plus one. Use the constants.
//
// Errno works with errors.Is the way syscall.Errno does: ENOENT matches
// fs.ErrNotExist, EACCES and EPERM fs.ErrPermission, EEXIST and ENOTEMPTY
// fs.ErrExist, ENOSYS errors.ErrUnsupported. EAGAIN, a transaction that
// lost a race, is matched by errors.Is(err, xenstore.EAGAIN).
type Errno uint8

// xs_wire.h: xsd_errors, in the table's order. New ones are added at the end.
const (
	EINVAL    Errno = iota + 1 // invalid argument (bad path, bad request)
	EACCES                     // permission denied
	EEXIST                     // already exists (a watch with the same path and token)
	EISDIR                     // is a directory
	ENOENT                     // no such node (or transaction, or watch)
	ENOMEM                     // out of memory
	ENOSPC                     // a quota was exceeded
	EIO                        // I/O error
	ENOTEMPTY                  // directory not empty
	ENOSYS                     // request type not supported by this server
	EROFS                      // read-only
	EBUSY                      // busy
	EAGAIN                     // transaction conflict: start it again
	EISCONN                    // already connected
	E2BIG                      // too big (a directory listing over XENSTORE_PAYLOAD_MAX)
	EPERM                      // operation not permitted
)

var errnoNames = [...]string{
	EINVAL: "EINVAL", EACCES: "EACCES", EEXIST: "EEXIST", EISDIR: "EISDIR",
	ENOENT: "ENOENT", ENOMEM: "ENOMEM", ENOSPC: "ENOSPC", EIO: "EIO",
	ENOTEMPTY: "ENOTEMPTY", ENOSYS: "ENOSYS", EROFS: "EROFS", EBUSY: "EBUSY",
	EAGAIN: "EAGAIN", EISCONN: "EISCONN", E2BIG: "E2BIG", EPERM: "EPERM",
}

// Error returns the name as it travels on the wire, "ENOENT".
func (e Errno) Error() string {
	if e > 0 && int(e) < len(errnoNames) {
		return errnoNames[e]
	}
	return "Errno(" + strconv.Itoa(int(e)) + ")"
}

// Is makes errors.Is(err, fs.ErrNotExist) and friends work, like
// syscall.Errno.Is.
func (e Errno) Is(target error) bool {
	switch target {
	case fs.ErrNotExist:
		return e == ENOENT
	case fs.ErrPermission:
		return e == EACCES || e == EPERM
	case fs.ErrExist:
		return e == EEXIST || e == ENOTEMPTY
	case errors.ErrUnsupported:
		return e == ENOSYS
	}
	return false
}

// LookupErrno returns the Errno called name ("ENOENT", no NUL), without
// allocating.
func LookupErrno(name []byte) (Errno, bool) {
	for i := 1; i < len(errnoNames); i++ {
		if string(name) == errnoNames[i] {
			return Errno(i), true
		}
	}
	return 0, false
}

// UnknownError is an XS_ERROR reply whose name is not in xsd_errors as this
// package knows it (a newer server, or a broken one).
type UnknownError struct {
	Name string // the payload, without its terminating NUL
}

func (e UnknownError) Error() string {
	return "xenstore: unknown error " + strconv.Quote(e.Name)
}

// ParseError turns an XS_ERROR payload ("ENOENT\0") into an error: an Errno
// for the names of xsd_errors, else an UnknownError carrying the text. One
// terminating NUL is optional. Known names do not allocate.
func ParseError(payload []byte) error {
	name := payload
	if n := len(name); n > 0 && name[n-1] == 0 {
		name = name[:n-1]
	}
	if e, ok := LookupErrno(name); ok {
		return e
	}
	return UnknownError{Name: string(name)}
}
