package store

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/digest-newsletter/digest/digest"
	"github.com/gofrs/flock"
)

// Lock takes the run lock of the state file at path: an exclusive flock(2)
// on path+".lock", which the kernel releases when the process exits, however
// it exits. It does not wait: when another process (or another Lock call
// in this one) holds the lock, it returns an error wrapping
// digest.ErrLocked that names the lock file. Lock creates the directory of
// path if needed; the lock file is left in place after unlock.
func Lock(path string) (unlock func() error, err error) {
	name := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	fl := flock.New(name)
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock %s: %w", name, digest.ErrLocked)
	}
	return func() error {
		if err := fl.Unlock(); err != nil {
			return fmt.Errorf("unlock %s: %w", name, err)
		}
		return nil
	}, nil
}
