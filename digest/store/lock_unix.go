//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"github.com/digest-newsletter/digest/digest"
)

// lockFile takes an exclusive flock(2) on the state file at path itself, if
// it exists, without waiting. SQLite locks with fcntl(2), which flock does
// not touch on local file systems. The descriptor stays open until unlock,
// which must come after the state is closed (closing a descriptor of a
// file drops the process's fcntl locks on it). Where flock is refused for
// another reason than a holder (a network file system), it does nothing.
func lockFile(path string) (unlock func() error, err error) {
	none := func() error { return nil }
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return none, nil
	}
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, digest.ErrLocked
	case err != nil:
		f.Close()
		return none, nil
	}
	return f.Close, nil // closing the descriptor releases the flock
}
