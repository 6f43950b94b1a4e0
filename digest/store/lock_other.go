//go:build !unix

package store

// lockFile does nothing here: the lock file alone keeps runs apart (a
// lock on the state file itself would be mandatory and stop SQLite).
func lockFile(path string) (unlock func() error, err error) {
	return func() error { return nil }, nil
}
