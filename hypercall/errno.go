package hypercall

import "strconv"

// Errno is an error number as Xen defines it. A failing hypercall returns
// its negation in RAX, so -EINVAL arrives as -22.
//
// The header spells these XEN_EPERM, XEN_ENOENT, ...; the values match the
// classic Linux/x86 numbers, which is why they look familiar.
type Errno int

// xen/include/public/errno.h: XEN_ERRNO(...)
const (
	EPERM         Errno = 1
	ENOENT        Errno = 2
	ESRCH         Errno = 3
	EINTR         Errno = 4 // internal to Xen; never returned to a guest
	EIO           Errno = 5
	ENXIO         Errno = 6
	E2BIG         Errno = 7
	ENOEXEC       Errno = 8
	EBADF         Errno = 9
	ECHILD        Errno = 10
	EAGAIN        Errno = 11
	EWOULDBLOCK   Errno = 11 // alias of EAGAIN
	ENOMEM        Errno = 12
	EACCES        Errno = 13
	EFAULT        Errno = 14
	EBUSY         Errno = 16
	EEXIST        Errno = 17
	EXDEV         Errno = 18
	ENODEV        Errno = 19
	ENOTDIR       Errno = 20
	EISDIR        Errno = 21
	EINVAL        Errno = 22
	ENFILE        Errno = 23
	EMFILE        Errno = 24
	ENOSPC        Errno = 28
	EROFS         Errno = 30
	EMLINK        Errno = 31
	EDOM          Errno = 33
	ERANGE        Errno = 34
	EDEADLK       Errno = 35
	EDEADLOCK     Errno = 35 // alias of EDEADLK
	ENAMETOOLONG  Errno = 36
	ENOLCK        Errno = 37
	ENOSYS        Errno = 38
	ENOTEMPTY     Errno = 39
	ENODATA       Errno = 61
	ETIME         Errno = 62
	EBADMSG       Errno = 74
	EOVERFLOW     Errno = 75
	EILSEQ        Errno = 84
	ERESTART      Errno = 85 // internal to Xen; never returned to a guest
	ENOTSOCK      Errno = 88
	EMSGSIZE      Errno = 90
	EOPNOTSUPP    Errno = 95
	EADDRINUSE    Errno = 98
	EADDRNOTAVAIL Errno = 99
	ENOBUFS       Errno = 105
	EISCONN       Errno = 106
	ENOTCONN      Errno = 107
	ETIMEDOUT     Errno = 110
	ECONNREFUSED  Errno = 111
)

// Name returns the symbolic name ("EINVAL"), or "" when Xen defines no
// error with this number. It returns constant strings only, so it is safe
// where the heap is unavailable. Aliases give the primary name.
func (e Errno) Name() string {
	switch e {
	case EPERM:
		return "EPERM"
	case ENOENT:
		return "ENOENT"
	case ESRCH:
		return "ESRCH"
	case EINTR:
		return "EINTR"
	case EIO:
		return "EIO"
	case ENXIO:
		return "ENXIO"
	case E2BIG:
		return "E2BIG"
	case ENOEXEC:
		return "ENOEXEC"
	case EBADF:
		return "EBADF"
	case ECHILD:
		return "ECHILD"
	case EAGAIN:
		return "EAGAIN"
	case ENOMEM:
		return "ENOMEM"
	case EACCES:
		return "EACCES"
	case EFAULT:
		return "EFAULT"
	case EBUSY:
		return "EBUSY"
	case EEXIST:
		return "EEXIST"
	case EXDEV:
		return "EXDEV"
	case ENODEV:
		return "ENODEV"
	case ENOTDIR:
		return "ENOTDIR"
	case EISDIR:
		return "EISDIR"
	case EINVAL:
		return "EINVAL"
	case ENFILE:
		return "ENFILE"
	case EMFILE:
		return "EMFILE"
	case ENOSPC:
		return "ENOSPC"
	case EROFS:
		return "EROFS"
	case EMLINK:
		return "EMLINK"
	case EDOM:
		return "EDOM"
	case ERANGE:
		return "ERANGE"
	case EDEADLK:
		return "EDEADLK"
	case ENAMETOOLONG:
		return "ENAMETOOLONG"
	case ENOLCK:
		return "ENOLCK"
	case ENOSYS:
		return "ENOSYS"
	case ENOTEMPTY:
		return "ENOTEMPTY"
	case ENODATA:
		return "ENODATA"
	case ETIME:
		return "ETIME"
	case EBADMSG:
		return "EBADMSG"
	case EOVERFLOW:
		return "EOVERFLOW"
	case EILSEQ:
		return "EILSEQ"
	case ERESTART:
		return "ERESTART"
	case ENOTSOCK:
		return "ENOTSOCK"
	case EMSGSIZE:
		return "EMSGSIZE"
	case EOPNOTSUPP:
		return "EOPNOTSUPP"
	case EADDRINUSE:
		return "EADDRINUSE"
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL"
	case ENOBUFS:
		return "ENOBUFS"
	case EISCONN:
		return "EISCONN"
	case ENOTCONN:
		return "ENOTCONN"
	case ETIMEDOUT:
		return "ETIMEDOUT"
	case ECONNREFUSED:
		return "ECONNREFUSED"
	}
	return ""
}

// Error makes Errno usable as an error: "xen: EINVAL (22)".
func (e Errno) Error() string {
	n := e.Name()
	if n == "" {
		n = "unknown error"
	}
	return "xen: " + n + " (" + strconv.Itoa(int(e)) + ")"
}

// ErrnoName names a raw hypercall result or an error number: both -22 and
// 22 give "EINVAL". It returns "" for 0, for positive results that are not
// errors in context, and for numbers Xen does not define.
func ErrnoName(rc int) string {
	if rc < 0 {
		rc = -rc
	}
	return Errno(rc).Name()
}

// Result turns a raw hypercall return value into an error: nil when rc is
// zero or positive (many calls return a count or a port), Errno(-rc)
// otherwise.
func Result(rc int) error {
	if rc >= 0 {
		return nil
	}
	return Errno(-rc)
}
