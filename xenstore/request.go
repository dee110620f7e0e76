package xenstore

// ValidateRequest checks a request before it goes to the server: the checks
// that keep xenstored from dropping the connection, and those that would
// only earn an error reply but are cheap to make here.
//
//   - h.Len equals len(payload), and is at most XENSTORE_PAYLOAD_MAX
//     (ErrLenMismatch, ErrPayloadTooLong);
//   - h.Type is not XS_WATCH_EVENT or XS_ERROR, which only the server sends,
//     nor XS_INVALID (ErrServerOnlyType, ErrInvalidType);
//   - for the types that take a path first (docs/misc/xenstore.txt):
//     the path is NUL-terminated and not empty, at most
//     XENSTORE_ABS_PATH_MAX bytes if absolute ("/...") or special ("@..."),
//     at most XENSTORE_REL_PATH_MAX if relative, and the payload has the
//     type's number of NUL-terminated fields: one for XS_READ,
//     XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM; path then value for
//     XS_WRITE (the value is raw bytes); path and at least one permission for
//     XS_SET_PERMS; path and token (and, for XS_WATCH, an optional depth)
//     for XS_WATCH and XS_UNWATCH; path and offset for XS_DIRECTORY_PART;
//   - XS_TRANSACTION_START carries tx_id 0, XS_TRANSACTION_END a payload of
//     "T\0" or "F\0" (ErrTxStartTxID, ErrTxEndPayload).
//
// Other types (and types newer than this package) get only the general
// checks. Errors are constants of type Error. ValidateRequest does not
// allocate.
func ValidateRequest(h Header, payload []byte) error {
	if len(payload) > XENSTORE_PAYLOAD_MAX {
		return ErrPayloadTooLong
	}
	if uint64(h.Len) != uint64(len(payload)) {
		return ErrLenMismatch
	}
	switch h.Type {
	case XS_WATCH_EVENT, XS_ERROR:
		return ErrServerOnlyType
	case XS_INVALID:
		return ErrInvalidType
	case XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM:
		return checkFields(payload, 1, 1)
	case XS_WRITE:
		// <path>|<value|>: only the path is NUL-terminated.
		end := indexNUL(payload)
		if end < 0 {
			return ErrUnterminated
		}
		return checkPath(payload[:end])
	case XS_SET_PERMS:
		return checkFields(payload, 2, XENSTORE_PAYLOAD_MAX)
	case XS_WATCH:
		return checkFields(payload, 2, 3)
	case XS_UNWATCH, XS_DIRECTORY_PART:
		return checkFields(payload, 2, 2)
	case XS_TRANSACTION_START:
		if h.TxID != 0 {
			return ErrTxStartTxID
		}
	case XS_TRANSACTION_END:
		if len(payload) != 2 || (payload[0] != 'T' && payload[0] != 'F') || payload[1] != 0 {
			return ErrTxEndPayload
		}
	}
	return nil
}

// checkFields checks a payload made only of NUL-terminated fields, between
// lo and hi of them, the first being a path.
func checkFields(payload []byte, lo, hi int) error {
	if len(payload) == 0 || payload[len(payload)-1] != 0 {
		return ErrUnterminated
	}
	fields := 0
	for _, c := range payload {
		if c == 0 {
			fields++
		}
	}
	if fields < lo || fields > hi {
		return ErrFieldCount
	}
	return checkPath(payload[:indexNUL(payload)])
}

// checkPath checks the length of a path (without its NUL).
func checkPath(p []byte) error {
	switch {
	case len(p) == 0:
		return ErrEmptyPath
	case p[0] == '/' || p[0] == '@':
		if len(p) > XENSTORE_ABS_PATH_MAX {
			return ErrAbsPathTooLong
		}
	case len(p) > XENSTORE_REL_PATH_MAX:
		return ErrRelPathTooLong
	}
	return nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
