package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/digest-newsletter/digest/digest"
	"github.com/gofrs/flock"
)

// Resolve returns the absolute path of the state file at path with every
// symbolic link resolved: of the file itself if it exists, else of its
// folder (created if needed), a dangling link being followed to the file
// it names. Every name derived from the state's (its run lock, its flight
// log, SQLite's WAL) derives from this one, so a relative path, a symbolic
// link and the real path to one state all name the same files.
func Resolve(path string) (string, error) {
	for range 40 {
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", err
		}
		real, err := filepath.EvalSymlinks(abs)
		if err == nil {
			return real, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		dir := filepath.Dir(abs)
		if target, lerr := os.Readlink(abs); lerr == nil {
			if !filepath.IsAbs(target) {
				target = filepath.Join(dir, target)
			}
			path = target // a link to a file not made yet
			continue
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		if dir, err = filepath.EvalSymlinks(dir); err != nil {
			return "", err
		}
		return filepath.Join(dir, filepath.Base(abs)), nil
	}
	return "", fmt.Errorf("%s: too many symbolic links", path)
}

// Lock takes the run lock of the state file at path, the file rather than
// the path: an exclusive flock(2) on the resolved path (see Resolve) plus
// ".lock", so that a relative path, a symbolic link and the real path all
// take the same lock. (A hard link is a name of its own: Open refuses a
// state file with more than one.) The kernel releases the lock when the
// process exits, however it exits. It does not wait: when another process
// (or another Lock call in this one) holds the lock, it returns an error
// wrapping digest.ErrLocked that names the lock file. Lock creates the
// directory of path if needed; the lock file is left in place after
// unlock. For a PostgreSQL state (see IsPostgres), Lock takes LockPostgres
// with the name "run" instead.
func Lock(path string) (unlock func() error, err error) {
	if IsPostgres(path) {
		return LockPostgres(path, "run")
	}
	real, err := Resolve(path)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	name := real + ".lock"
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
