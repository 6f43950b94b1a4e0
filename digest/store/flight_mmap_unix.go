//go:build unix

package store

import (
	"os"
	"syscall"
)

// mapFile sizes f to size bytes and maps it shared and writable: stores to
// the mapping reach the kernel's page cache at once, so they outlive a
// killed process as a write(2) does, without a system call each. The
// caller reserves the space first: a store to a page the file system has
// no room for kills the process with SIGBUS.
func mapFile(f *os.File, size int) ([]byte, error) {
	if err := f.Truncate(int64(size)); err != nil {
		return nil, err
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}

func unmapFile(b []byte) error { return syscall.Munmap(b) }
