//go:build !unix

package xenstore

import (
	"errors"
	"io"
	"os"
)

func dialUnix(path string) (io.ReadWriteCloser, error) {
	return nil, &os.PathError{Op: "connect", Path: path, Err: errors.New("Unix sockets are not supported here")}
}

func isSocketOpenError(error) bool { return false }
