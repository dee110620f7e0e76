package bench

import (
	"encoding/binary"

	"github.com/goxen/goxen/linker"
)

// FloorProbe is the floor guest of the boot figures: a PVH kernel of a
// few hand-assembled instructions (in the manner of the box's own probe,
// box/probe_test.go) that does the least a guest can do and still be
// timed the way the others are. Entered in 32-bit protected mode with
// paging off, it asks Xen for its console ring and event channel
// (HVMOP_get_param: HVM_PARAM_CONSOLE_PFN, _EVTCHN), puts "FLOOR\r\n" on
// the ring, notifies the backend (EVTCHNOP_send) and powers off
// (SCHEDOP_shutdown). Hypercalls are vmmcall (the box's CPU is AMD-style,
// -cpu ...,+svm); a 32-bit HVM guest passes arguments in ebx, ecx.
func FloorProbe() []byte {
	const (
		base    = 0x200000 // load and physical address
		codeOff = 0x100
		dataOff = 0x300
		msg     = "FLOOR\r\n"

		hvmOp        = 34 // __HYPERVISOR_hvm_op
		evtchnOp     = 32 // __HYPERVISOR_event_channel_op
		schedOp      = 29 // __HYPERVISOR_sched_op
		hvmGetParam  = 1  // HVMOP_get_param
		evtchnSend   = 4  // EVTCHNOP_send
		schedShutdwn = 2  // SCHEDOP_shutdown
		consolePFN   = 17 // HVM_PARAM_CONSOLE_PFN
		consoleEvtch = 18 // HVM_PARAM_CONSOLE_EVTCHN
		domidSelf    = 0x7FF0
		// struct xencons_interface: in[1024], out[2048], in_cons,
		// in_prod, out_cons, out_prod.
		ringOut     = 1024
		ringOutProd = 1024 + 2048 + 12
	)
	// Data: two struct xen_hvm_param {u16 domid; u16 pad; u32 index; u64
	// value} (16 bytes each), struct evtchn_send {u32 port}, struct
	// sched_shutdown {u32 reason} (0, poweroff), the message.
	param1 := uint32(base + dataOff)
	param2 := param1 + 16
	send := param2 + 16
	reason := send + 4
	msgAddr := reason + 4

	var c []byte
	b := func(bs ...byte) { c = append(c, bs...) }
	imm := func(v uint32) { c = binary.LittleEndian.AppendUint32(c, v) }
	hypercall := func(nr, cmd, arg uint32) {
		b(0xB8) // mov eax, nr
		imm(nr)
		b(0xBB) // mov ebx, cmd
		imm(cmd)
		b(0xB9) // mov ecx, arg
		imm(arg)
		b(0x0F, 0x01, 0xD9) // vmmcall
	}
	hypercall(hvmOp, hvmGetParam, param1)
	hypercall(hvmOp, hvmGetParam, param2)
	b(0xA1) // mov eax, [param2.value]: the port
	imm(param2 + 8)
	b(0xA3) // mov [send], eax
	imm(send)
	b(0x8B, 0x3D) // mov edi, [param1.value]: the ring's frame
	imm(param1 + 8)
	b(0xC1, 0xE7, 0x0C) // shl edi, 12
	b(0x8B, 0x97)       // mov edx, [edi+out_prod]
	imm(ringOutProd)
	b(0xBE) // mov esi, msg
	imm(msgAddr)
	b(0xB9) // mov ecx, len
	imm(uint32(len(msg)))
	loop := len(c)
	b(0xAC)                      // lodsb
	b(0x89, 0xD5)                // mov ebp, edx
	b(0x81, 0xE5)                // and ebp, 2047
	imm(2047)                    //
	b(0x01, 0xFD)                // add ebp, edi
	b(0x88, 0x85)                // mov [ebp+out], al
	imm(ringOut)                 //
	b(0x42)                      // inc edx
	b(0xE2, byte(loop-len(c)-2)) // loop
	b(0x89, 0x97)                // mov [edi+out_prod], edx
	imm(ringOutProd)
	hypercall(evtchnOp, evtchnSend, send)
	hypercall(schedOp, schedShutdwn, reason)
	b(0xF4, 0xEB, 0xFD) // hlt; jmp back to it

	img := make([]byte, dataOff+0x100)
	copy(img[codeOff:], c)
	le := binary.LittleEndian
	for _, p := range []struct{ at, index uint32 }{{param1, consolePFN}, {param2, consoleEvtch}} {
		o := p.at - base
		le.PutUint16(img[o:], domidSelf)
		le.PutUint32(img[o+4:], p.index)
	}
	copy(img[msgAddr-base:], msg)
	return linker.WrapFlat(img, base, codeOff, true)
}
