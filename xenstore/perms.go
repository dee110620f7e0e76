package xenstore

import "strconv"

// Access is the letter of a permission string (docs/misc/xenstore.txt,
// GET_PERMS).
type Access byte

const (
	AccessNone  Access = 'n' // no access
	AccessRead  Access = 'r' // read only
	AccessWrite Access = 'w' // write only
	AccessBoth  Access = 'b' // read and write
)

// CanRead reports whether a grants reading.
func (a Access) CanRead() bool { return a == AccessRead || a == AccessBoth }

// CanWrite reports whether a grants writing.
func (a Access) CanWrite() bool { return a == AccessWrite || a == AccessBoth }

// Perm is one entry of a node's permission list, "r5" on the wire. In a
// list, the first entry names the node's owner (who always has full access)
// and, with its letter, the access of every domain not listed after it.
type Perm struct {
	Access Access
	Domain uint16 // a domid; special DOMID_* values travel as their numbers
}

// String returns the wire form, "b0".
func (p Perm) String() string {
	return string(rune(p.Access)) + strconv.Itoa(int(p.Domain))
}

// PermError is a permission string that does not parse.
type PermError struct {
	Text string // the offending field
}

func (e *PermError) Error() string {
	return "xenstore: bad permission " + strconv.Quote(e.Text) +
		" (want n, r, w or b and a domain id in decimal)"
}

// ParsePerm parses one permission string, "r5".
func ParsePerm(s string) (Perm, error) {
	if len(s) < 2 {
		return Perm{}, &PermError{s}
	}
	a := Access(s[0])
	switch a {
	case AccessNone, AccessRead, AccessWrite, AccessBoth:
	default:
		return Perm{}, &PermError{s}
	}
	var id uint32
	for _, c := range []byte(s[1:]) {
		if c < '0' || c > '9' {
			return Perm{}, &PermError{s}
		}
		id = id*10 + uint32(c-'0')
		if id > 0xFFFF {
			return Perm{}, &PermError{s}
		}
	}
	return Perm{Access: a, Domain: uint16(id)}, nil
}

// ParsePerms parses an XS_GET_PERMS reply: one or more NUL-terminated
// permission strings.
func ParsePerms(payload []byte) ([]Perm, error) {
	fields, ok := splitFields(payload)
	if !ok || len(fields) == 0 {
		return nil, &PermError{string(payload)}
	}
	perms := make([]Perm, 0, len(fields))
	for _, f := range fields {
		p, err := ParsePerm(f)
		if err != nil {
			return nil, err
		}
		perms = append(perms, p)
	}
	return perms, nil
}

// appendPerms appends the XS_SET_PERMS form of perms: each NUL-terminated.
func appendPerms(b []byte, perms []Perm) []byte {
	for _, p := range perms {
		b = append(b, byte(p.Access))
		b = strconv.AppendUint(b, uint64(p.Domain), 10)
		b = append(b, 0)
	}
	return b
}

// splitFields splits a payload of NUL-terminated strings. ok is false if
// the payload does not end with a NUL (an empty payload is zero fields).
func splitFields(payload []byte) (fields []string, ok bool) {
	if len(payload) == 0 {
		return nil, true
	}
	if payload[len(payload)-1] != 0 {
		return nil, false
	}
	start := 0
	for i, c := range payload {
		if c == 0 {
			fields = append(fields, string(payload[start:i]))
			start = i + 1
		}
	}
	return fields, true
}
