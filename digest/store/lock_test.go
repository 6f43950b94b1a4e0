package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// The run lock belongs to the state file, not to the path used to reach it:
// whichever name takes it first, every other name of the same file finds
// it held.
func TestLockHoldsForTheFileNotThePath(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "data", "digest.db")
	s, err := Open(t.Context(), real)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(other)
	names := map[string]string{
		"real":           real,
		"relative":       filepath.Join("..", "data", "digest.db"),
		"symlink":        filepath.Join(other, "link.db"),
		"symlinked dir":  filepath.Join(other, "datalink", "digest.db"),
		"relative link":  "rel.db",
		"dotted":         filepath.Join(dir, "data", ".", "..", "data", "digest.db"),
		"link to a link": filepath.Join(other, "link2.db"),
	}
	for _, err := range []error{
		os.Symlink(real, names["symlink"]),
		os.Symlink(filepath.Join(dir, "data"), filepath.Join(other, "datalink")),
		os.Symlink(filepath.Join("..", "data", "digest.db"), "rel.db"),
		os.Symlink(names["symlink"], names["link to a link"]),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for first, a := range names {
		unlock, err := Lock(a)
		if err != nil {
			t.Fatalf("Lock(%s): %v", first, err)
		}
		for second, b := range names {
			if _, err := Lock(b); !errors.Is(err, digest.ErrLocked) {
				t.Errorf("locked as %s, then Lock as %s: err = %v, want ErrLocked", first, second, err)
			}
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
	}
	// Every name finds one lock file and one flight log: the real ones.
	for name, p := range names {
		if got, err := Resolve(p); err != nil || got != real {
			t.Errorf("Resolve(%s) = %q, %v; want %s", name, got, err, real)
		}
	}
	if locks, _ := filepath.Glob(filepath.Join(other, "*.lock")); len(locks) != 0 {
		t.Errorf("lock files beside the links: %v, want none", locks)
	}
}

// A hard link is a second name SQLite does not see through: a run through
// it would look for the WAL under its own name and miss the last commits.
// Open refuses a state file with more than one name, by either name, and
// SetAside keeps it.
func TestOpenRefusesHardLinkedState(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "digest.db")
	s, err := Open(t.Context(), real)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(real, hard); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	for _, p := range []string{real, hard} {
		_, err := Open(t.Context(), p)
		var nse *NotStateError
		if !errors.As(err, &nse) || !nse.Linked || !strings.Contains(err.Error(), "has 2 names (hard links)") {
			t.Errorf("Open(%s): err = %v, want a *NotStateError for two names", p, err)
		}
		if _, err := SetAside(t.Context(), p, time.Now()); err == nil {
			t.Errorf("SetAside(%s) set a hard-linked state aside", p)
		}
	}
	if err := os.Remove(hard); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), real)
	if err != nil {
		t.Fatalf("Open with one name again: %v", err)
	}
	s.Close()
}

// A link to a state not made yet: the state is made where the link points.
func TestOpenThroughDanglingLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "digest.db")
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink("digest.db", link); err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(link)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	s, err := Open(t.Context(), link)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != real {
		t.Errorf("Path() = %s, want %s", s.Path(), real)
	}
	if _, err := Lock(real); !errors.Is(err, digest.ErrLocked) {
		t.Errorf("Lock(real) beside Lock(link): err = %v, want ErrLocked", err)
	}
}
