package kernel

import (
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/startinfo"
)

// si is the start info package pvh copied and checked.
var si = &pvh.StartInfo

// reportStartInfo prints what Xen passed: the start info and, when the
// memory map came from XENMEM_memory_map (a dom0), that map.
func reportStartInfo() {
	var b [4096]byte
	kwrite(si.Format(b[:0]))
	if si.CmdlineTruncated {
		l := klog().s("the command line is longer than Xen's limit of ").dec(startinfo.MaxCmdline - 1).s(" bytes")
		if si.CmdlineFullLen > 0 {
			l.s(" (").dec(int64(si.CmdlineFullLen)).s(")")
		}
		l.s(": truncated, the rest is dropped").print()
	}
	if si.Version == 0 {
		klog().s("memory map from XENMEM_memory_map:").print()
		for _, e := range si.MemoryMap() {
			klog().s("  [").hex(e.Addr).s(", ").hex(e.Addr + e.Size).s(") ").s(startinfo.MemmapTypeName(e.Type)).print()
		}
	}
}
