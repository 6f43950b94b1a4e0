//go:build !linux

package store

import (
	"errors"
	"os"
)

// reserveFile cannot reserve disk here: the flight log writes each entry
// with write(2) rather than mapping a segment whose pages might find no
// room.
func reserveFile(f *os.File, size int64) error { return errors.ErrUnsupported }
