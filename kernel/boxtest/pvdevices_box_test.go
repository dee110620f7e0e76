//go:build box

package boxtest

import (
	"testing"

	"github.com/goxen/goxen/box"
)

// Xen's devices in a classic PV domU, in make test: the device box tests
// again with a PV guest, one boot each. In PV the grant table is the
// machine frames GNTTABOP_setup_table names, grant entries name MFNs
// (kernel/grants.go), xenstore's ring comes from start_info
// (kernel/pv.go pvStorePage), and the program's hypercalls through the
// hypercall page are made by the kernel on its behalf.

// /dev/xen/gntalloc, /dev/xen/evtchn and /dev/xen/xenbus under channels
// (QEMU's backend) and a vchan (Xen's vchan-socket-proxy in dom0).
func TestPVChannelsAndVChan(t *testing.T) { channelsAndVChan(t, box.PV) }

// xenstore through /dev/xen/xenbus, a watch, and `xl shutdown -w` to a
// program with a SIGTERM handler.
func TestPVXenstore(t *testing.T) { xenstoreAndShutdown(t, box.PV) }

// `xl reboot` to a program without a SIGTERM handler: the kernel ends it
// and the domain shuts down with reason reboot.
func TestPVXLReboot(t *testing.T) { xlReboot(t, box.PV) }
