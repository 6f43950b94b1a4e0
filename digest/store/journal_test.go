package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/google/go-cmp/cmp"
	"modernc.org/sqlite"
)

// TestRecordReplaces writes batches whose rows partly exist and partly do
// not, across the statement sizes Record uses, and checks that each row
// reads back exactly as last written: an existing row has every column
// replaced, a missing one is inserted, a row given twice in one batch ends
// as its last copy, and rows of other channels and editions are left
// alone.
func TestRecordReplaces(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		claimed := day.Add(time.Hour)
		row := func(i int) digest.Delivery {
			return digest.Delivery{
				Edition: "e1", Channel: "smtp", Email: fmt.Sprintf("u%d@example.com", i), Status: digest.Sending,
				MessageID: fmt.Sprintf("e1.%d@news.example.com", i), Updated: claimed, Run: "run1",
			}
		}
		// Rows 0-149 exist, claimed by run1; the same addresses have rows in
		// another channel and another edition.
		var claims, others []digest.Delivery
		for i := range 150 {
			claims = append(claims, row(i))
			o := row(i)
			o.Channel, o.Status, o.Reply = "outbox", digest.Sent, "queued"
			others = append(others, o)
			o = row(i)
			o.Edition = "e0"
			others = append(others, o)
		}
		if err := s.Record(ctx, append(claims, others...)); err != nil {
			t.Fatal(err)
		}
		// 213 rows (64*3 + 8*2 + 5): results for rows 0-149 with every column
		// changed, in an order that mixes them with new rows 150-199, and rows
		// 10 and 150 twice.
		var batch []digest.Delivery
		for i := range 200 {
			d := row((i * 7) % 200)
			d.Status, d.Attempts, d.Run = digest.Sent, 1+i%3, "run2"
			d.MessageID = fmt.Sprintf("<%d.retry@news.example.com>", i)
			d.Reply = fmt.Sprintf("250 2.0.0 Ok: queued as %X", i)
			d.Updated = claimed.Add(time.Duration(i) * time.Millisecond)
			if i%5 == 0 {
				d.Status, d.Reply = digest.Deferred, "451 4.7.1 try later"
			}
			batch = append(batch, d)
		}
		for _, i := range []int{10, 150} {
			d := row(i)
			d.Status, d.Reply, d.Attempts = digest.Failed, fmt.Sprintf("550 5.1.1 no such user %d", i), 2
			batch = append(batch, d)
		}
		for i := range 11 {
			d := batch[i]
			d.Reply = "overwritten later in the batch"
			batch = append([]digest.Delivery{d}, batch...)
		}
		if len(batch) != 213 {
			t.Fatalf("batch of %d rows, want 213", len(batch))
		}
		if err := s.Record(ctx, batch); err != nil {
			t.Fatal(err)
		}
		want := map[string]digest.Delivery{}
		var emails []string
		for _, d := range batch {
			d.Updated = d.Updated.UTC()
			want[d.Email] = d
		}
		for e := range want {
			emails = append(emails, e)
		}
		got, err := s.Deliveries(ctx, "e1", "smtp", emails)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("journal after Record (-want +got):\n%s", diff)
		}
		c, err := s.Counts(ctx, "e1", "smtp")
		if err != nil {
			t.Fatal(err)
		}
		if n := c[digest.Sent] + c[digest.Deferred] + c[digest.Failed] + c[digest.Sending]; n != 200 {
			t.Errorf("e1 smtp has %d rows, want 200", n)
		}
		for _, o := range others {
			got, err := s.Deliveries(ctx, o.Edition, o.Channel, []string{o.Email})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]digest.Delivery{o.Email: o}, got); diff != "" {
				t.Errorf("row of %s %s (-want +got):\n%s", o.Edition, o.Channel, diff)
			}
		}
	})
}

// TestRecordSharedColumns checks Record's statements that bind edition,
// channel, run, status and updated once for all their rows: a batch in
// which one row differs from the others in one of these columns, in each
// statement size, reads back exactly.
func TestRecordSharedColumns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		later := day.Add(time.Minute)
		tests := []struct {
			name   string
			change func(*digest.Delivery)
		}{
			{"none", func(*digest.Delivery) {}},
			{"edition", func(d *digest.Delivery) { d.Edition = "e2" }},
			{"channel", func(d *digest.Delivery) { d.Channel = "outbox" }},
			{"run", func(d *digest.Delivery) { d.Run = "run2" }},
			{"status", func(d *digest.Delivery) { d.Status = digest.Failed }},
			{"updated", func(d *digest.Delivery) { d.Updated = later }},
			{"updated zone only", func(d *digest.Delivery) { d.Updated = day.In(time.FixedZone("UTC+5", 5*3600)) }},
		}
		for _, tt := range tests {
			for _, at := range []int{1, 40, 63, 64 + 7, 64 + 8} {
				t.Run(fmt.Sprintf("%s at %d", tt.name, at), func(t *testing.T) {
					s := open(t)
					ctx := t.Context()
					// 73 rows: a statement of 64, one of 8, one of 1.
					var batch []digest.Delivery
					for i := range 73 {
						d := delivery("e1", fmt.Sprintf("u%d@example.com", i), digest.Sending)
						d.Run = "run1"
						if i == at {
							tt.change(&d)
						}
						batch = append(batch, d)
					}
					// Every other row exists already, with other values.
					var old []digest.Delivery
					for i := 0; i < len(batch); i += 2 {
						d := batch[i]
						d.Status, d.MessageID, d.Reply, d.Attempts = digest.Deferred, "old", "451 later", 2
						d.Updated, d.Run = day.Add(-time.Hour), "run0"
						old = append(old, d)
					}
					if err := s.Record(ctx, old); err != nil {
						t.Fatal(err)
					}
					if err := s.Record(ctx, batch); err != nil {
						t.Fatal(err)
					}
					checkRecorded(t, s, batch)
				})
			}
		}
	})
}

// checkRecorded checks that the journal holds exactly these rows, the last
// copy of each, for their editions and channels.
func checkRecorded(t *testing.T, s *Store, rows []digest.Delivery) {
	t.Helper()
	type key struct{ edition, channel string }
	want := map[key]map[string]digest.Delivery{}
	for _, d := range rows {
		k := key{d.Edition, d.Channel}
		if want[k] == nil {
			want[k] = map[string]digest.Delivery{}
		}
		d.Email = strings.ToLower(d.Email)
		d.Updated = d.Updated.UTC()
		want[k][d.Email] = d
	}
	for k, rows := range want {
		var emails []string
		for e := range rows {
			emails = append(emails, e)
		}
		got, err := s.Deliveries(t.Context(), k.edition, k.channel, emails)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rows, got); diff != "" {
			t.Errorf("journal of %s %s (-want +got):\n%s", k.edition, k.channel, diff)
		}
		counts, err := s.Counts(t.Context(), k.edition, k.channel)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range counts {
			n += c
		}
		if n != len(rows) {
			t.Errorf("journal of %s %s has %d rows, want %d", k.edition, k.channel, n, len(rows))
		}
	}
}

// cancelHook is what the SQL function test_cancel() calls, if set.
var (
	cancelHook     atomic.Pointer[context.CancelFunc]
	registerCancel sync.Once
)

// TestRecordCanceledMidway cancels Record's context from a trigger while
// one of its statements runs, after others have replaced existing rows,
// and checks that Record fails and leaves the journal as it was.
func TestRecordCanceledMidway(t *testing.T) {
	registerCancel.Do(func() {
		sqlite.MustRegisterScalarFunction("test_cancel", 0, func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
			if cancel := cancelHook.Load(); cancel != nil {
				(*cancel)()
			}
			return nil, nil
		})
	})
	// 100 rows: statements of 64, 8, 8, 8, 8, 1, 1, 1, 1.
	for _, at := range []int{10, 70, 99} {
		t.Run(fmt.Sprintf("at %d", at), func(t *testing.T) {
			s, _ := openTemp(t) // after registering test_cancel
			var claims, results []digest.Delivery
			for i := range 100 {
				d := delivery("e1", fmt.Sprintf("u%d@example.com", i), digest.Sending)
				d.Run = "run1"
				claims = append(claims, d)
				d.Status, d.Reply, d.Updated = digest.Sent, "250 2.0.0 Ok", day.Add(time.Duration(i)*time.Second)
				results = append(results, d)
			}
			if err := s.Record(t.Context(), claims); err != nil {
				t.Fatal(err)
			}
			if _, err := s.w.ExecContext(t.Context(), fmt.Sprintf(`
				CREATE TEMP TRIGGER cancel_record AFTER INSERT ON journal
				WHEN NEW.email = 'u%d@example.com' AND NEW.status = 'sent'
				BEGIN SELECT test_cancel(); END`, at)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			cancelHook.Store(&cancel)
			err := s.Record(ctx, results)
			cancelHook.Store(nil)
			if ctx.Err() == nil {
				t.Fatal("the trigger did not cancel the context")
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Record canceled midway: err = %v, want context.Canceled", err)
			}
			checkRecorded(t, s, claims)
			// The write connection is usable afterwards.
			if err := s.Record(t.Context(), results); err != nil {
				t.Fatalf("Record after a canceled one: %v", err)
			}
			checkRecorded(t, s, results)
		})
	}
}

// TestClaimConcurrent has several runs, each with its own connections to
// one state, claim the same addresses at once, each claiming every address
// that has no row yet, and checks that every address was claimed by
// exactly one of them. Read with Deliveries and written with Record, two
// runs would both claim some.
func TestClaimConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		first := open(t)
		ctx := t.Context()
		const runs, n, batch = 4, 600, 50
		stores := []*Store{first}
		for range runs - 1 {
			s, err := Open(ctx, stateName(first))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			stores = append(stores, s)
		}
		claims := make([][]string, runs)
		var wg sync.WaitGroup
		for r, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for start := 0; start < n; start += batch {
					var emails, mine []string
					for i := start; i < start+batch; i++ {
						emails = append(emails, fmt.Sprintf("u%d@example.com", i))
					}
					err := Claiming{s}.Claim(ctx, "smtp", map[string][]string{"e1": emails},
						func(rows map[string]map[string]digest.Delivery) ([]digest.Delivery, error) {
							var ds []digest.Delivery
							mine = mine[:0]
							for _, e := range emails {
								if _, ok := rows["e1"][e]; !ok {
									d := delivery("e1", e, digest.Sending)
									d.Run = fmt.Sprintf("run%d", r)
									ds = append(ds, d)
									mine = append(mine, e)
								}
							}
							return ds, nil
						})
					if err != nil {
						t.Error(err)
						return
					}
					claims[r] = append(claims[r], mine...)
				}
			}()
		}
		wg.Wait()
		by := map[string]int{}
		for _, c := range claims {
			for _, e := range c {
				by[e]++
			}
		}
		for i := range n {
			if e := fmt.Sprintf("u%d@example.com", i); by[e] != 1 {
				t.Errorf("%s claimed %d times, want once", e, by[e])
			}
		}
		t.Logf("claims per run: %d %d %d %d", len(claims[0]), len(claims[1]), len(claims[2]), len(claims[3]))
	})
}
