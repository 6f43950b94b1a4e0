package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// reserveFile allocates size bytes of disk to f with fallocate(2), so that
// stores to its mapping never find the file system full. A file system
// without fallocate gives an error wrapping errors.ErrUnsupported.
func reserveFile(f *os.File, size int64) error {
	for {
		err := syscall.Fallocate(int(f.Fd()), 0, 0, size)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOSYS):
			return fmt.Errorf("fallocate: %w (%w)", errors.ErrUnsupported, err)
		}
		return err
	}
}
