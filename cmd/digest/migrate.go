package main

import (
	"context"
	"fmt"

	"github.com/digest-newsletter/digest/digest/store"
)

// cmdMigrate brings the state's schema up to this digest's version. A
// PostgreSQL state is upgraded only so, never by another command: many
// machines may share it, and one new binary must not upgrade it under
// older ones still running. A SQLite state is upgraded by any command
// that writes to it too; migrate does it on purpose, and says the version
// of a state already up to date.
func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "migrate", "")
	cfg, err := fs.parse(args)
	if err != nil {
		return err
	}
	if stateFileMissing(cfg.State) {
		return usageError{fmt.Errorf("no state at %s: nothing to migrate; check --state (DIGEST_STATE)", cfg.State)}
	}
	if !store.IsPostgres(cfg.State) {
		// No run may write to the file while its schema changes.
		unlock, err := store.Lock(cfg.State)
		if err != nil {
			return err
		}
		defer unlock()
	}
	from, to, err := store.Migrate(ctx, cfg.State)
	if err != nil {
		return stateError(err)
	}
	if from == to {
		fmt.Fprintf(e.stdout, "state %s is at schema version %d, this digest's: nothing to do\n", store.Redact(cfg.State), to)
		return nil
	}
	fmt.Fprintf(e.stdout, "state %s migrated from schema version %d to version %d\n", store.Redact(cfg.State), from, to)
	return nil
}
