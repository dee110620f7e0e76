package mm

// Typed addresses, in the style of AtmanOS: a guest-physical address, a
// virtual address and a frame number are all integers, but mixing them up is
// the classic memory-manager bug, so the compiler keeps them apart.
type (
	PAddr uint64 // guest-physical address
	VAddr uint64 // virtual address
	PFN   uint64 // page frame number: PAddr >> PageShift
)

const (
	PageShift = 12
	PageSize  = 1 << PageShift // the only page size this package hands out
	pageMask  = PageSize - 1
)

// UserLimit is the end of the lower canonical half of a 48-bit address
// space: Linux's TASK_SIZE on x86-64 (4-level paging), the highest address
// a program's mappings may reach.
const UserLimit VAddr = 1 << 47

// PFN returns the frame number of the frame holding p.
func (p PAddr) PFN() PFN { return PFN(p >> PageShift) }

// PAddr returns the first address of frame n.
func (n PFN) PAddr() PAddr { return PAddr(n << PageShift) }

// Linux errno values returned by this package (positive; the syscall layer
// negates them). include/uapi/asm-generic/errno-base.h
const (
	EPERM  = 1
	ENOMEM = 12
	EFAULT = 14
	EBUSY  = 16
	EEXIST = 17
	ENODEV = 19
	EINVAL = 22
)

// ErrnoName names an errno value returned by this package, for logs and
// panics. It returns constant strings, so it never allocates.
func ErrnoName(e int) string {
	switch e {
	case 0:
		return "ok"
	case EPERM:
		return "EPERM"
	case ENOMEM:
		return "ENOMEM"
	case EFAULT:
		return "EFAULT"
	case EBUSY:
		return "EBUSY"
	case EEXIST:
		return "EEXIST"
	case ENODEV:
		return "ENODEV"
	case EINVAL:
		return "EINVAL"
	}
	return "errno?"
}
