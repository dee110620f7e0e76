package hypercall

import (
	"errors"
	"math"
	"testing"
)

func TestErrnoValues(t *testing.T) {
	// xen/include/public/errno.h
	for _, c := range []struct {
		e    Errno
		n    int
		name string
	}{
		{EPERM, 1, "EPERM"}, {ENOENT, 2, "ENOENT"}, {ESRCH, 3, "ESRCH"},
		{EAGAIN, 11, "EAGAIN"}, {EWOULDBLOCK, 11, "EAGAIN"},
		{ENOMEM, 12, "ENOMEM"}, {EFAULT, 14, "EFAULT"}, {EBUSY, 16, "EBUSY"},
		{EEXIST, 17, "EEXIST"}, {EINVAL, 22, "EINVAL"}, {ENOSPC, 28, "ENOSPC"},
		{EDEADLK, 35, "EDEADLK"}, {EDEADLOCK, 35, "EDEADLK"},
		{ENOSYS, 38, "ENOSYS"}, {ENODATA, 61, "ENODATA"}, {ETIME, 62, "ETIME"},
		{EOPNOTSUPP, 95, "EOPNOTSUPP"}, {ECONNREFUSED, 111, "ECONNREFUSED"},
	} {
		if int(c.e) != c.n {
			t.Errorf("%s = %d, want %d", c.name, int(c.e), c.n)
		}
		if got := c.e.Name(); got != c.name {
			t.Errorf("Errno(%d).Name() = %q, want %q", c.n, got, c.name)
		}
	}
}

func TestErrnoNameAndError(t *testing.T) {
	if got := ErrnoName(-22); got != "EINVAL" {
		t.Errorf("ErrnoName(-22) = %q", got)
	}
	if got := ErrnoName(38); got != "ENOSYS" {
		t.Errorf("ErrnoName(38) = %q", got)
	}
	for _, rc := range []int{0, 15, -15, 200, math.MinInt} {
		if got := ErrnoName(rc); got != "" {
			t.Errorf("ErrnoName(%d) = %q, want empty", rc, got)
		}
	}
	if got := EINVAL.Error(); got != "xen: EINVAL (22)" {
		t.Errorf("EINVAL.Error() = %q", got)
	}
	if got := Errno(15).Error(); got != "xen: unknown error (15)" {
		t.Errorf("Errno(15).Error() = %q", got)
	}
}

func TestResult(t *testing.T) {
	if Result(0) != nil || Result(7) != nil {
		t.Fatal("non-negative results must be nil")
	}
	err := Result(-1)
	if !errors.Is(err, EPERM) {
		t.Fatalf("Result(-1) = %v, want EPERM", err)
	}
	if err.Error() != "xen: EPERM (1)" {
		t.Fatalf("Result(-1).Error() = %q", err.Error())
	}
}

// Every name the switch knows must map back to its own number: catches a
// copy-paste slip between the constant table and Name.
func TestErrnoNamesDistinct(t *testing.T) {
	seen := map[string]int{}
	for n := 0; n < 256; n++ {
		name := Errno(n).Name()
		if name == "" {
			continue
		}
		if prev, ok := seen[name]; ok {
			t.Errorf("%s names both %d and %d", name, prev, n)
		}
		seen[name] = n
	}
	if len(seen) != 49 {
		t.Errorf("%d named errnos, want 49 (the 51 in errno.h minus two aliases)", len(seen))
	}
}
