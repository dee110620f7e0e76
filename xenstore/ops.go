package xenstore

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"sync/atomic"
)

// Paths. An absolute path starts with "/" ("/local/domain/3/name"). A
// relative one ("name", "device/vif/0") is taken by xenstored relative to
// the connection's home, /local/domain/<domid>: that works for a domain
// talking through its ring (a guest's /dev/xen/xenbus), not over
// xenstored's socket. Errors from the methods below are *fs.PathError with
// Op "xenstore read" and so on, wrapping an Errno (so errors.Is(err,
// fs.ErrNotExist) works), an UnknownError, a *ProtocolError, a validation
// Error, the context's error, or the connection's.

// Read returns the value stored at path (raw bytes; values are normally
// printable text without a trailing NUL).
func (c *Client) Read(ctx context.Context, path string) ([]byte, error) {
	return c.read(ctx, 0, path)
}

// Write stores value at path, creating it and any missing parents (with
// empty values).
func (c *Client) Write(ctx context.Context, path string, value []byte) error {
	return c.write(ctx, 0, path, value)
}

// Directory returns the names (not paths) of path's children.
func (c *Client) Directory(ctx context.Context, path string) ([]string, error) {
	return c.directory(ctx, 0, path)
}

// Mkdir makes sure path exists, creating it and any missing parents with
// empty values; existing values are left alone.
func (c *Client) Mkdir(ctx context.Context, path string) error {
	return c.simple(ctx, "mkdir", XS_MKDIR, 0, path)
}

// Rm removes path and everything below it. A missing path is not an error,
// but a missing parent is (ENOENT).
func (c *Client) Rm(ctx context.Context, path string) error {
	return c.simple(ctx, "rm", XS_RM, 0, path)
}

// GetPerms returns path's permission list; the first entry is the owner.
func (c *Client) GetPerms(ctx context.Context, path string) ([]Perm, error) {
	return c.getPerms(ctx, 0, path)
}

// SetPerms replaces path's permission list; the first entry is the owner
// (only dom0 may change the owner).
func (c *Client) SetPerms(ctx context.Context, path string, perms []Perm) error {
	return c.setPerms(ctx, 0, path, perms)
}

// GetDomainPath returns the home path of domain domid,
// "/local/domain/<domid>".
func (c *Client) GetDomainPath(ctx context.Context, domid uint32) (string, error) {
	arg := strconv.FormatUint(uint64(domid), 10)
	r, err := c.request(ctx, XS_GET_DOMAIN_PATH, 0, append([]byte(arg), 0))
	if err != nil {
		return "", &fs.PathError{Op: "xenstore get-domain-path", Path: arg, Err: err}
	}
	return strings.TrimSuffix(string(r.payload), "\x00"), nil
}

// MaxTransactAttempts bounds how often Transact starts a transaction that
// keeps failing with EAGAIN.
const MaxTransactAttempts = 10

// Tx is a transaction: its operations see a snapshot of the store, and its
// writes become visible (and fire watches) only when End commits them. A
// commit fails with EAGAIN if the store changed in between; start again.
// Use Transact to get the retrying right. Methods are safe for concurrent
// use, but a transaction's operations are normally issued in order.
type Tx struct {
	c     *Client
	id    uint32
	ended atomic.Bool
}

// Start starts a transaction.
func (c *Client) Start(ctx context.Context) (*Tx, error) {
	r, err := c.request(ctx, XS_TRANSACTION_START, 0, []byte{0})
	if err != nil {
		return nil, &fs.PathError{Op: "xenstore transaction-start", Path: "", Err: err}
	}
	id, err := parseTxID(r.payload)
	if err != nil {
		return nil, &fs.PathError{Op: "xenstore transaction-start", Path: "",
			Err: &ProtocolError{Header: r.h, Reason: err.Error()}}
	}
	return &Tx{c: c, id: id}, nil
}

func parseTxID(payload []byte) (uint32, error) {
	s := strings.TrimSuffix(string(payload), "\x00")
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil || id == 0 {
		return 0, errors.New("transaction id " + strconv.Quote(s) + " is not a non-zero 32-bit decimal")
	}
	return uint32(id), nil
}

// ID returns the transaction id the server chose.
func (t *Tx) ID() uint32 { return t.id }

// End commits the transaction (commit true) or discards it. Either way the
// transaction is over, even when End returns an error; errors.Is(err,
// EAGAIN) means the commit lost a race and nothing was written.
func (t *Tx) End(ctx context.Context, commit bool) error {
	if !t.ended.CompareAndSwap(false, true) {
		return &fs.PathError{Op: "xenstore transaction-end", Path: "", Err: ErrTxEnded}
	}
	arg := []byte("F\x00")
	if commit {
		arg[0] = 'T'
	}
	if _, err := t.c.request(ctx, XS_TRANSACTION_END, t.id, arg); err != nil {
		return &fs.PathError{Op: "xenstore transaction-end", Path: "", Err: err}
	}
	return nil
}

func (t *Tx) check(op, path string) error {
	if t.ended.Load() {
		return &fs.PathError{Op: "xenstore " + op, Path: path, Err: ErrTxEnded}
	}
	return nil
}

// Read is Client.Read inside the transaction.
func (t *Tx) Read(ctx context.Context, path string) ([]byte, error) {
	if err := t.check("read", path); err != nil {
		return nil, err
	}
	return t.c.read(ctx, t.id, path)
}

// Write is Client.Write inside the transaction.
func (t *Tx) Write(ctx context.Context, path string, value []byte) error {
	if err := t.check("write", path); err != nil {
		return err
	}
	return t.c.write(ctx, t.id, path, value)
}

// Directory is Client.Directory inside the transaction.
func (t *Tx) Directory(ctx context.Context, path string) ([]string, error) {
	if err := t.check("directory", path); err != nil {
		return nil, err
	}
	return t.c.directory(ctx, t.id, path)
}

// Mkdir is Client.Mkdir inside the transaction.
func (t *Tx) Mkdir(ctx context.Context, path string) error {
	if err := t.check("mkdir", path); err != nil {
		return err
	}
	return t.c.simple(ctx, "mkdir", XS_MKDIR, t.id, path)
}

// Rm is Client.Rm inside the transaction.
func (t *Tx) Rm(ctx context.Context, path string) error {
	if err := t.check("rm", path); err != nil {
		return err
	}
	return t.c.simple(ctx, "rm", XS_RM, t.id, path)
}

// GetPerms is Client.GetPerms inside the transaction.
func (t *Tx) GetPerms(ctx context.Context, path string) ([]Perm, error) {
	if err := t.check("get-perms", path); err != nil {
		return nil, err
	}
	return t.c.getPerms(ctx, t.id, path)
}

// SetPerms is Client.SetPerms inside the transaction.
func (t *Tx) SetPerms(ctx context.Context, path string, perms []Perm) error {
	if err := t.check("set-perms", path); err != nil {
		return err
	}
	return t.c.setPerms(ctx, t.id, path, perms)
}

// Transact runs fn in a transaction and commits it. If the commit (or an
// operation inside fn) fails with EAGAIN, it runs fn again in a fresh
// transaction, at most MaxTransactAttempts times in all; fn must therefore
// be safe to repeat. If fn returns another error the transaction is
// discarded and that error returned. After the last attempt the error
// wraps EAGAIN and says how many attempts were made.
func (c *Client) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		tx, err := c.Start(ctx)
		if err != nil {
			return err
		}
		if err = fn(tx); err != nil {
			if !tx.ended.Load() {
				tx.End(ctx, false)
			}
		} else {
			err = tx.End(ctx, true)
		}
		if err == nil || !errors.Is(err, EAGAIN) {
			return err
		}
		if attempt >= MaxTransactAttempts {
			return &TransactError{Attempts: attempt, Err: err}
		}
		if ctx.Err() != nil {
			return err
		}
	}
}

// TransactError is Transact giving up: every attempt conflicted.
type TransactError struct {
	Attempts int
	Err      error // the last attempt's error, which wraps EAGAIN
}

func (e *TransactError) Error() string {
	return "xenstore: transaction still conflicting after " + strconv.Itoa(e.Attempts) +
		" attempts: " + e.Err.Error()
}
func (e *TransactError) Unwrap() error { return e.Err }

// pathRequest sends a request whose payload is path, a NUL, then rest.
func (c *Client) pathRequest(ctx context.Context, op string, typ, tx uint32, path string, rest []byte) (result, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return result{}, &fs.PathError{Op: "xenstore " + op, Path: path, Err: ErrNUL}
	}
	payload := make([]byte, 0, len(path)+1+len(rest))
	payload = append(append(append(payload, path...), 0), rest...)
	r, err := c.request(ctx, typ, tx, payload)
	if err != nil {
		return r, &fs.PathError{Op: "xenstore " + op, Path: path, Err: err}
	}
	return r, nil
}

func (c *Client) read(ctx context.Context, tx uint32, path string) ([]byte, error) {
	r, err := c.pathRequest(ctx, "read", XS_READ, tx, path, nil)
	return r.payload, err
}

func (c *Client) write(ctx context.Context, tx uint32, path string, value []byte) error {
	_, err := c.pathRequest(ctx, "write", XS_WRITE, tx, path, value)
	return err
}

func (c *Client) simple(ctx context.Context, op string, typ, tx uint32, path string) error {
	_, err := c.pathRequest(ctx, op, typ, tx, path, nil)
	return err
}

func (c *Client) directory(ctx context.Context, tx uint32, path string) ([]string, error) {
	r, err := c.pathRequest(ctx, "directory", XS_DIRECTORY, tx, path, nil)
	if err != nil {
		return nil, err
	}
	names, ok := splitFields(r.payload)
	if !ok {
		return nil, &fs.PathError{Op: "xenstore directory", Path: path,
			Err: &ProtocolError{Header: r.h, Reason: "directory listing not NUL-terminated"}}
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

func (c *Client) getPerms(ctx context.Context, tx uint32, path string) ([]Perm, error) {
	r, err := c.pathRequest(ctx, "get-perms", XS_GET_PERMS, tx, path, nil)
	if err != nil {
		return nil, err
	}
	perms, err := ParsePerms(r.payload)
	if err != nil {
		return nil, &fs.PathError{Op: "xenstore get-perms", Path: path,
			Err: &ProtocolError{Header: r.h, Reason: err.Error()}}
	}
	return perms, nil
}

func (c *Client) setPerms(ctx context.Context, tx uint32, path string, perms []Perm) error {
	if len(perms) == 0 {
		return &fs.PathError{Op: "xenstore set-perms", Path: path, Err: ErrFieldCount}
	}
	_, err := c.pathRequest(ctx, "set-perms", XS_SET_PERMS, tx, path, appendPerms(nil, perms))
	return err
}
