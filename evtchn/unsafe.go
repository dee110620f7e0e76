package evtchn

import "unsafe"

func unsafePointer(p *uint8) unsafe.Pointer { return unsafe.Pointer(p) }
