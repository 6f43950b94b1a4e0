package store

import (
	"testing"

	"github.com/digest-newsletter/digest/digest/store/pgtest"
)

// pg is the PostgreSQL server of this test binary, started by the first
// test that needs it; TestMain stops it.
var pg pgtest.Lazy

// forEachBackend runs test once on a new SQLite state file and once on a
// new PostgreSQL state, each as a subtest named after its engine. open
// makes the state; it is closed when the subtest ends. The PostgreSQL
// subtest is skipped where no server is installed (see pgtest).
func forEachBackend(t *testing.T, test func(t *testing.T, open func(testing.TB) *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, func(t testing.TB) *Store {
			s, _ := openTemp(t)
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, openPostgresTemp)
	})
}

// openPostgresTemp makes a state in a new PostgreSQL database and opens
// it.
func openPostgresTemp(t testing.TB) *Store {
	t.Helper()
	u := pg.Database(t)
	if err := MakePostgresState(t.Context(), u); err != nil {
		t.Fatalf("MakePostgresState: %v", err)
	}
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// stateName returns what Open takes to open s again.
func stateName(s *Store) string {
	if s.pg {
		return s.url
	}
	return s.path
}
