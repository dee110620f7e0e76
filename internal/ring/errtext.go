package ring

import "github.com/goxen/goxen/internal/numfmt"

// AppendIndexError appends the text both rings give hostile indices, e.g.
// "console: hostile out ring indices: prod=0x10 cons=0x20 (0xfffffff0 >
// 2048 in flight)": who says it, which queue, the snapshot, and the
// queue's size. Like numfmt (which is as free of the runtime as this
// package) it allocates only if b lacks room (about 100 bytes).
func AppendIndexError(b []byte, who, queue string, prod, cons, size uint32) []byte {
	b = append(b, who...)
	b = append(b, ": hostile "...)
	b = append(b, queue...)
	b = append(b, " ring indices: prod="...)
	b = numfmt.AppendHex(b, prod)
	b = append(b, " cons="...)
	b = numfmt.AppendHex(b, cons)
	b = append(b, " ("...)
	b = numfmt.AppendHex(b, prod-cons)
	b = append(b, " > "...)
	b = numfmt.AppendDec(b, size)
	b = append(b, " in flight)"...)
	return b
}
