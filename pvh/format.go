package pvh

// AppendHex appends v as 0x-prefixed lower-case hex. It allocates
// nothing beyond b's capacity, so it runs before any runtime.
func AppendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	var t [18]byte
	i := len(t)
	for {
		i--
		t[i] = digits[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	i--
	t[i] = 'x'
	i--
	t[i] = '0'
	return append(b, t[i:]...)
}

// AppendDec appends v in decimal, allocating nothing beyond b's capacity.
func AppendDec(b []byte, v int64) []byte {
	var t [21]byte
	i := len(t)
	u := uint64(v)
	if v < 0 {
		u = uint64(-v)
	}
	for {
		i--
		t[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if v < 0 {
		i--
		t[i] = '-'
	}
	return append(b, t[i:]...)
}
