//go:build !unix

package store

import (
	"errors"
	"os"
)

// mapFile is not available here: the flight log writes each entry with
// write(2) instead.
func mapFile(f *os.File, size int) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFile(b []byte) error { return nil }
