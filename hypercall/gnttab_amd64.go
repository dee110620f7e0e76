//go:build amd64

package hypercall

import "unsafe"

// GrantTableOp makes HYPERVISOR_grant_table_op: sub-operation cmd
// (GNTTABOP_*, defined in package gnttab) on an array of count argument
// structures starting at arg. Like the other wrappers it is NOSPLIT, so
// an argument array on the caller's stack stays in place for the call;
// the caller keeps it alive and reads the results (each structure's
// status) afterwards.
//
// xen/include/public/grant_table.h: HYPERVISOR_grant_table_op
//
//go:nosplit
func GrantTableOp(cmd uint32, arg unsafe.Pointer, count uint32) int {
	return rc(Call(HYPERVISOR_grant_table_op, uintptr(cmd), uintptr(arg), uintptr(count), 0, 0))
}
