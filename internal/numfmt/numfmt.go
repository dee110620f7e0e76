// Package numfmt formats numbers into byte slices without strconv: the
// kernel builds error texts with it in system-call handlers and before the
// Go runtime exists, so it imports nothing and stores no pointer.
//
// The functions append like append does. They allocate only when b lacks
// the capacity for the digits (at most 20, plus "0x" or "-"), so a caller
// that gives a buffer with room never allocates.
package numfmt

// AppendHex appends v as "0x" and lower-case hexadecimal digits without
// leading zeros ("0x0", "0x2a", "0xffffffff").
func AppendHex(b []byte, v uint32) []byte { return AppendHex64(b, uint64(v)) }

// AppendDec appends v in decimal ("0", "42", "4294967295").
func AppendDec(b []byte, v uint32) []byte { return AppendInt(b, int64(v)) }

// AppendHex64 appends v as AppendHex does, for 64 bits.
func AppendHex64(b []byte, v uint64) []byte {
	b = append(b, '0', 'x')
	started := false
	for shift := 60; shift >= 0; shift -= 4 {
		d := byte(v>>uint(shift)) & 0xF
		if d == 0 && !started && shift != 0 {
			continue
		}
		started = true
		b = append(b, "0123456789abcdef"[d])
	}
	return b
}

// AppendInt appends v in decimal, with a '-' if it is negative.
func AppendInt(b []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		// kernel:nopanic i counts down from 20, and a uint64 has at most 20 digits
		tmp[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// AppendMs appends ns in milliseconds, two decimals, rounded toward zero
// ("12.34"); b needs room for 24 bytes. Boot timelines use it, before any
// heap exists.
func AppendMs(b []byte, ns int64) []byte {
	if ns < 0 {
		b = append(b, '-')
		ns = -ns
	}
	b = AppendInt(b, ns/1e6)
	c := ns / 1e4 % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}
