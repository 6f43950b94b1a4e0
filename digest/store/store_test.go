package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/google/go-cmp/cmp"
)

// day is a fixed clock for the tests.
var day = time.Date(2026, 11, 29, 6, 30, 0, 123456789, time.UTC)

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func edition(id string, created time.Time, articles ...string) *digest.Edition {
	ed := &digest.Edition{
		ID:       id,
		Cadence:  "daily",
		Subject:  "Digest of " + id,
		Overview: "What happened.",
		Created:  created,
		Note:     "A *note*.",
	}
	for _, a := range articles {
		ed.Items = append(ed.Items, digest.Item{
			Article: digest.Article{
				ID: a, URL: a, Title: "Title of " + a, Source: "Example",
				SourceURL: "https://example.com/feed", Published: created.Add(-time.Hour),
				Tags: []string{"go"},
			},
			Blurb: []string{"First sentence.", "Second sentence."},
		})
	}
	return ed
}

func TestOpenPragmas(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			if err := s.w.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
	var v int
	if err := s.r.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != len(migrations) {
		t.Errorf("schema version = %d, want %d", v, len(migrations))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.w.ExecContext(t.Context(), "UPDATE schema_version SET version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a version 99 file: err = %v, want a newer-schema error", err)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	for i := range 3 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
}

func TestEditionRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			paris = time.FixedZone("CET", 3600)
		}
		want := edition("2026-11-29", day.In(paris), "https://a.example/1", "https://b.example/2")
		if err := s.Freeze(ctx, want); err != nil {
			t.Fatalf("Freeze: %v", err)
		}
		got, err := s.Edition(ctx, want.ID)
		if err != nil {
			t.Fatalf("Edition: %v", err)
		}
		// JSON keeps the offset, not the zone name: compare instants.
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("Edition round trip (-want +got):\n%s", diff)
		}
		none, err := s.Edition(ctx, "2000-01-01")
		if none != nil || err != nil {
			t.Errorf("Edition(absent) = %v, %v; want nil, nil", none, err)
		}
	})
}

func TestFreezeTwice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		if err := s.Freeze(ctx, edition("e1", day, "a1")); err != nil {
			t.Fatalf("Freeze: %v", err)
		}
		changed := edition("e1", day, "a2")
		changed.Subject = "Another subject"
		err := s.Freeze(ctx, changed)
		if !errors.Is(err, ErrExists) {
			t.Fatalf("second Freeze: err = %v, want ErrExists", err)
		}
		got, err := s.Edition(ctx, "e1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != "Digest of e1" {
			t.Errorf("Subject after refused Freeze = %q, want the first one", got.Subject)
		}
		seen, err := s.Seen(ctx, []string{"a1", "a2"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]bool{"a1": true}; !cmp.Equal(seen, want) {
			t.Errorf("Seen after refused Freeze = %v, want %v (no article of the refused edition)", seen, want)
		}
	})
}

func TestEditions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		eds := []*digest.Edition{
			edition("2026-11-27", day.AddDate(0, 0, -2)),
			edition("2026-11-28", day.AddDate(0, 0, -1)),
			edition("2026-11-29", day),
			{ID: "2026-W48", Cadence: "weekly", Created: day.Add(time.Hour)},
		}
		// Freeze out of order: Editions sorts by creation time.
		for _, i := range []int{2, 0, 3, 1} {
			if err := s.Freeze(ctx, eds[i]); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name    string
			cadence string
			since   time.Time
			want    []string
		}{
			{"all daily", "daily", time.Time{}, []string{"2026-11-27", "2026-11-28", "2026-11-29"}},
			{"since is inclusive", "daily", day.AddDate(0, 0, -1), []string{"2026-11-28", "2026-11-29"}},
			{"since a nanosecond later", "daily", day.AddDate(0, 0, -1).Add(time.Nanosecond), []string{"2026-11-29"}},
			{"weekly", "weekly", time.Time{}, []string{"2026-W48"}},
			{"any cadence", "", day, []string{"2026-11-29", "2026-W48"}},
			{"none", "monthly", time.Time{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Editions(ctx, tt.cadence, tt.since)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, ed := range got {
					ids = append(ids, ed.ID)
				}
				if diff := cmp.Diff(tt.want, ids); diff != "" {
					t.Errorf("Editions(%q, %v) (-want +got):\n%s", tt.cadence, tt.since, diff)
				}
			})
		}
	})
}

func TestSeenBatches(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		// More articles than one IN list holds, to cross batch boundaries.
		var ids, query []string
		for i := range 1200 {
			id := fmt.Sprintf("https://example.com/%d", i)
			if i%3 == 0 {
				ids = append(ids, id)
			}
			query = append(query, id)
		}
		if err := s.Freeze(ctx, edition("e1", day, ids...)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Seen(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ids) {
			t.Errorf("Seen returned %d IDs, want %d", len(got), len(ids))
		}
		for _, id := range ids {
			if !got[id] {
				t.Errorf("Seen[%s] = false, want true", id)
			}
		}
		if got["https://example.com/1"] {
			t.Errorf("Seen[unseen article] = true")
		}
		empty, err := s.Seen(ctx, nil)
		if err != nil || len(empty) != 0 {
			t.Errorf("Seen(nil) = %v, %v; want empty, nil", empty, err)
		}
	})
}

func TestFirstSeen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		first, err := s.FirstSeen(ctx, "a1", day)
		if err != nil {
			t.Fatal(err)
		}
		if !first.Equal(day) {
			t.Errorf("FirstSeen(new) = %v, want %v", first, day)
		}
		again, err := s.FirstSeen(ctx, "a1", day.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !again.Equal(day) {
			t.Errorf("FirstSeen(known) = %v, want the first time %v", again, day)
		}
	})
}

func TestFirstSeenMany(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	if _, err := s.FirstSeen(ctx, "old", day); err != nil {
		t.Fatal(err)
	}
	later := day.Add(48 * time.Hour)
	got, err := s.FirstSeenMany(ctx, []string{"old", "new", "new"}, later)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["old"].Equal(day) || !got["new"].Equal(later) {
		t.Errorf("FirstSeenMany = %v, want old at %v and new at %v", got, day, later)
	}
	again, err := s.FirstSeen(ctx, "new", later.Add(time.Hour))
	if err != nil || !again.Equal(later) {
		t.Errorf("FirstSeen(new) after FirstSeenMany = %v, %v; want %v", again, err, later)
	}
}

func delivery(edition, email string, st digest.DeliveryStatus) digest.Delivery {
	return digest.Delivery{
		Edition: edition, Channel: "smtp", Email: email, Status: st,
		MessageID: "<" + edition + "." + email + "@digest>", Reply: "250 2.0.0 OK",
		Attempts: 1, Updated: day,
	}
}

func TestRecordAndDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		local := time.FixedZone("UTC+5", 5*3600)
		rows := []digest.Delivery{
			delivery("e1", "Ann@Example.COM", digest.Sent),
			delivery("e1", "bob@example.com", digest.Sending),
			delivery("e1", "cy@example.com", digest.Failed),
			delivery("e2", "ann@example.com", digest.Pending),
		}
		rows[0].Updated = day.In(local)
		outbox := delivery("e1", "ann@example.com", digest.Sent)
		outbox.Channel = "outbox"
		rows = append(rows, outbox)
		if err := s.Record(ctx, rows); err != nil {
			t.Fatalf("Record: %v", err)
		}
		// A second Record replaces a row.
		retried := delivery("e1", "CY@example.com", digest.Deferred)
		retried.Attempts, retried.Reply = 3, "451 4.7.1 try later"
		if err := s.Record(ctx, []digest.Delivery{retried}); err != nil {
			t.Fatalf("Record: %v", err)
		}

		got, err := s.Deliveries(ctx, "e1", "smtp", []string{"ann@example.com", "BOB@example.com", "Cy@Example.com", "dan@example.com"})
		if err != nil {
			t.Fatalf("Deliveries: %v", err)
		}
		want := map[string]digest.Delivery{
			"ann@example.com": delivery("e1", "ann@example.com", digest.Sent),
			"BOB@example.com": delivery("e1", "bob@example.com", digest.Sending),
			"Cy@Example.com": {
				Edition: "e1", Channel: "smtp", Email: "cy@example.com", Status: digest.Deferred,
				MessageID: retried.MessageID, Reply: "451 4.7.1 try later", Attempts: 3, Updated: day,
			},
		}
		want["ann@example.com"] = digest.Delivery{
			Edition: "e1", Channel: "smtp", Email: "ann@example.com", Status: digest.Sent,
			MessageID: rows[0].MessageID, Reply: "250 2.0.0 OK", Attempts: 1, Updated: day,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Deliveries (-want +got):\n%s", diff)
		}
		if loc := got["ann@example.com"].Updated.Location(); loc != time.UTC {
			t.Errorf("Updated location = %v, want UTC", loc)
		}

		counts, err := s.Counts(ctx, "e1", "smtp")
		if err != nil {
			t.Fatal(err)
		}
		wantCounts := map[digest.DeliveryStatus]int{digest.Sent: 1, digest.Sending: 1, digest.Deferred: 1}
		if diff := cmp.Diff(wantCounts, counts); diff != "" {
			t.Errorf("Counts (-want +got):\n%s", diff)
		}

		unknown, err := s.Unknown(ctx, "e1", "smtp")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]digest.Delivery{delivery("e1", "bob@example.com", digest.Sending)}, unknown); diff != "" {
			t.Errorf("Unknown (-want +got):\n%s", diff)
		}
	})
}

func TestDeliveriesBatches(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		var rows []digest.Delivery
		var emails []string
		for i := range 1300 {
			e := fmt.Sprintf("user%d@example.com", i)
			emails = append(emails, e)
			if i%2 == 0 {
				rows = append(rows, delivery("e1", e, digest.Sent))
			}
		}
		if err := s.Record(ctx, rows); err != nil {
			t.Fatal(err)
		}
		got, err := s.Deliveries(ctx, "e1", "smtp", emails)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Errorf("Deliveries returned %d rows, want %d", len(got), len(rows))
		}
		for _, d := range rows {
			if got[d.Email].Status != digest.Sent {
				t.Errorf("Deliveries[%s] = %+v, want sent", d.Email, got[d.Email])
			}
		}
	})
}

func TestRecordRefusesBadRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		tests := []struct {
			name string
			bad  digest.Delivery
			want string
		}{
			{"unknown status", delivery("e1", "bad@example.com", "delivered"), `record row 3 (e1 smtp bad@example.com): unknown status "delivered"`},
			{"empty address", delivery("e1", "", digest.Sent), "record row 3 (e1 smtp ): no address"},
			{"no edition", delivery("", "bad@example.com", digest.Sent), "record row 3 ( smtp bad@example.com): no edition"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				ctx := t.Context()
				batch := []digest.Delivery{
					delivery("e1", "a@example.com", digest.Sent),
					delivery("e1", "b@example.com", digest.Sent),
					tt.bad,
				}
				err := s.Record(ctx, batch)
				if err == nil || err.Error() != tt.want {
					t.Fatalf("Record: err = %v, want %s", err, tt.want)
				}
				got, err := s.Deliveries(ctx, "e1", "smtp", []string{"a@example.com", "b@example.com"})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 0 {
					t.Errorf("journal after a refused Record = %v, want empty", got)
				}
			})
		}
	})
}

// TestRecordAllOrNothing makes the database itself fail a Record after it
// has written part of the batch, and checks that none of the batch
// remains.
func TestRecordAllOrNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		// The SQLite write pool holds one connection, so a TEMP trigger
		// applies to every Record.
		boom := `
		CREATE TEMP TRIGGER boom BEFORE INSERT ON journal
		WHEN NEW.email = 'boom@example.com'
		BEGIN SELECT RAISE(ABORT, 'boom'); END`
		if s.pg {
			boom = `
			CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF NEW.email = 'boom@example.com' THEN RAISE EXCEPTION 'boom'; END IF;
				RETURN NEW;
			END $$;
			CREATE TRIGGER boom BEFORE INSERT ON journal FOR EACH ROW EXECUTE FUNCTION boom();`
		}
		if _, err := s.w.ExecContext(ctx, boom); err != nil {
			t.Fatal(err)
		}
		before := delivery("e1", "u0@example.com", digest.Sending)
		if err := s.Record(ctx, []digest.Delivery{before}); err != nil {
			t.Fatal(err)
		}
		// 100 rows: the first 64 (one of them an update) go in one statement
		// before the failing row's statement runs.
		var batch []digest.Delivery
		var emails []string
		for i := range 100 {
			e := fmt.Sprintf("u%d@example.com", i)
			if i == 90 {
				e = "boom@example.com"
			}
			batch = append(batch, delivery("e1", e, digest.Sent))
			emails = append(emails, e)
		}
		err := s.Record(ctx, batch)
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("Record: err = %v, want the trigger's boom", err)
		}
		got, err := s.Deliveries(ctx, "e1", "smtp", emails)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]digest.Delivery{"u0@example.com": before}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("journal after a failed Record (-want +got):\n%s", diff)
		}
		// The next Record works.
		batch[90].Email = "u90@example.com"
		if err := s.Record(ctx, batch); err != nil {
			t.Fatalf("Record after a failed one: %v", err)
		}
		c, err := s.Counts(ctx, "e1", "smtp")
		if err != nil {
			t.Fatal(err)
		}
		if c[digest.Sent] != 100 {
			t.Errorf("sent rows = %d, want 100", c[digest.Sent])
		}
	})
}

func TestRecordCanceled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Record(ctx, []digest.Delivery{delivery("e1", "a@example.com", digest.Sent)}); err == nil {
			t.Fatal("Record with a canceled context: err = nil")
		}
		got, err := s.Deliveries(t.Context(), "e1", "smtp", []string{"a@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("journal after a canceled Record = %v, want empty", got)
		}
		// The write connection is usable afterwards.
		if err := s.Record(t.Context(), []digest.Delivery{delivery("e1", "a@example.com", digest.Sent)}); err != nil {
			t.Fatalf("Record after a canceled one: %v", err)
		}
	})
}

func TestJournalSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := t.Context()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := []digest.Delivery{
		delivery("e1", "a@example.com", digest.Sent),
		delivery("e1", "b@example.com", digest.Failed),
	}
	if err := s.Freeze(ctx, edition("e1", day, "x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := s.Suppress(ctx, "c@example.com", "unsubscribed", day); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Deliveries(ctx, "e1", "smtp", []string{"a@example.com", "b@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]digest.Delivery{"a@example.com": want[0], "b@example.com": want[1]}, got); diff != "" {
		t.Errorf("journal after reopen (-want +got):\n%s", diff)
	}
	if ed, err := s.Edition(ctx, "e1"); ed == nil || err != nil {
		t.Errorf("Edition after reopen = %v, %v", ed, err)
	}
	if sup, err := s.Suppressed(ctx, []string{"c@example.com"}); !sup["c@example.com"] || err != nil {
		t.Errorf("Suppressed after reopen = %v, %v", sup, err)
	}
}

func TestSuppress(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		if err := s.Suppress(ctx, " Ann@Example.com ", "unsubscribed", day); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, "ann@example.com", "bounced", day.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, "", "bounced", day); err == nil {
			t.Error("Suppress of an empty address: err = nil")
		}
		got, err := s.Suppressed(ctx, []string{"ANN@example.com", "ann@example.com", "bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"ANN@example.com": true, "ann@example.com": true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Suppressed (-want +got):\n%s", diff)
		}
		var reason string
		if err := s.r.QueryRowContext(ctx, "SELECT reason FROM suppressed WHERE email = 'ann@example.com'").Scan(&reason); err != nil {
			t.Fatal(err)
		}
		if reason != "unsubscribed" {
			t.Errorf("reason = %q, want the first one, unsubscribed", reason)
		}
	})
}

func TestFetchCache(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		const url = "https://example.com/feed.xml"
		etag, lm, body, err := s.LoadFetch(ctx, url)
		if etag != "" || lm != "" || body != nil || err != nil {
			t.Errorf("LoadFetch(absent) = %q, %q, %q, %v; want empties", etag, lm, body, err)
		}
		steps := []struct{ etag, lm, body string }{
			{`"v1"`, "Sat, 28 Nov 2026 10:00:00 GMT", "<rss>one</rss>"},
			{`"v2"`, "", "<rss>two</rss>"},
		}
		for _, st := range steps {
			if err := s.SaveFetch(ctx, url, st.etag, st.lm, []byte(st.body)); err != nil {
				t.Fatal(err)
			}
			etag, lm, body, err := s.LoadFetch(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			if etag != st.etag || lm != st.lm || string(body) != st.body {
				t.Errorf("LoadFetch = %q, %q, %q; want %q, %q, %q", etag, lm, body, st.etag, st.lm, st.body)
			}
		}
	})
}

func TestBlurbCache(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		got, err := s.LoadBlurb(ctx, "k")
		if got != nil || err != nil {
			t.Errorf("LoadBlurb(absent) = %v, %v; want nil, nil", got, err)
		}
		tests := []struct {
			name  string
			blurb []string
		}{
			{"two sentences", []string{"One «quoted».", "Two\nlines."}},
			{"replaced", []string{"Only."}},
			{"empty", []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.SaveBlurb(ctx, "k", tt.blurb); err != nil {
					t.Fatal(err)
				}
				got, err := s.LoadBlurb(ctx, "k")
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.blurb, got); diff != "" {
					t.Errorf("LoadBlurb (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestRecent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		for i := range 4 {
			if err := s.Freeze(ctx, edition(fmt.Sprintf("2026-11-2%d", 6+i), day.AddDate(0, 0, i-3))); err != nil {
				t.Fatal(err)
			}
		}
		outbox := delivery("2026-11-29", "a@example.com", digest.Sent)
		outbox.Channel = "outbox"
		if err := s.Record(ctx, []digest.Delivery{
			delivery("2026-11-29", "a@example.com", digest.Sent),
			delivery("2026-11-29", "b@example.com", digest.Sent),
			delivery("2026-11-29", "c@example.com", digest.Sending),
			outbox,
			delivery("2026-11-28", "a@example.com", digest.Failed),
			delivery("2026-11-26", "a@example.com", digest.Sent),
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Recent(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		type C = map[digest.DeliveryStatus]int
		want := []EditionStatus{
			{ID: "2026-11-29", Cadence: "daily", Subject: "Digest of 2026-11-29", Created: day,
				Counts: map[string]C{"smtp": {digest.Sent: 2, digest.Sending: 1}, "outbox": {digest.Sent: 1}}},
			{ID: "2026-11-28", Cadence: "daily", Subject: "Digest of 2026-11-28", Created: day.AddDate(0, 0, -1),
				Counts: map[string]C{"smtp": {digest.Failed: 1}}},
			{ID: "2026-11-27", Cadence: "daily", Subject: "Digest of 2026-11-27", Created: day.AddDate(0, 0, -2),
				Counts: map[string]C{}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Recent(3) (-want +got):\n%s", diff)
		}
	})
}

func TestReadOnly(t *testing.T) {
	w, path := openTemp(t)
	ctx := t.Context()
	if err := w.Freeze(ctx, edition("e1", day, "a1")); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly beside a writer: %v", err)
	}
	defer r.Close()
	// The reader sees what the writer commits after it opened.
	if err := w.Record(ctx, []digest.Delivery{delivery("e1", "a@example.com", digest.Sent)}); err != nil {
		t.Fatal(err)
	}
	counts, err := r.Counts(ctx, "e1", "smtp")
	if err != nil {
		t.Fatal(err)
	}
	if counts[digest.Sent] != 1 {
		t.Errorf("read-only Counts = %v, want 1 sent", counts)
	}
	writes := []struct {
		name string
		do   func() error
	}{
		{"Record", func() error { return r.Record(ctx, []digest.Delivery{delivery("e1", "b@example.com", digest.Sent)}) }},
		{"Freeze", func() error { return r.Freeze(ctx, edition("e2", day)) }},
		{"Suppress", func() error { return r.Suppress(ctx, "b@example.com", "x", day) }},
		{"SaveFetch", func() error { return r.SaveFetch(ctx, "u", "", "", nil) }},
		{"SaveBlurb", func() error { return r.SaveBlurb(ctx, "k", nil) }},
		{"FirstSeen", func() error { _, err := r.FirstSeen(ctx, "new", day); return err }},
	}
	for _, tt := range writes {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, ErrReadOnly) {
				t.Errorf("err = %v, want ErrReadOnly", err)
			}
		})
	}
}

func TestReadOnlyAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := t.Context()
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Freeze(ctx, edition("e1", day)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly of a closed state: %v", err)
	}
	defer r.Close()
	if ed, err := r.Edition(ctx, "e1"); ed == nil || err != nil {
		t.Errorf("Edition = %v, %v", ed, err)
	}
}

func TestReadOnlyMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.db")
	if _, err := OpenReadOnly(t.Context(), path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadOnly(missing) err = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadOnly created the file")
	}
}

// TestConcurrentRecord records from several goroutines while others read;
// run it with -race.
func TestConcurrentRecord(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		const writers, batches, batchSize = 4, 10, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers+2)
		for w := range writers {
			wg.Go(func() {
				for b := range batches {
					var ds []digest.Delivery
					for i := range batchSize {
						ds = append(ds, delivery("e1", fmt.Sprintf("w%d-b%d-%d@example.com", w, b, i), digest.Sent))
					}
					if err := s.Record(ctx, ds); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		done := make(chan struct{})
		var readers sync.WaitGroup
		for range 2 {
			readers.Go(func() {
				emails := []string{"w0-b0-0@example.com", "w1-b9-19@example.com"}
				last := 0
				for {
					select {
					case <-done:
						return
					default:
					}
					got, err := s.Deliveries(ctx, "e1", "smtp", emails)
					if err != nil {
						errs <- err
						return
					}
					c, err := s.Counts(ctx, "e1", "smtp")
					if err != nil {
						errs <- err
						return
					}
					// Whole batches only, and never fewer than seen before.
					n := c[digest.Sent]
					if n%batchSize != 0 || n < last {
						errs <- fmt.Errorf("Counts saw %d sent after %d, want a growing multiple of %d", n, last, batchSize)
						return
					}
					last = n
					_ = got
				}
			})
		}
		wg.Wait()
		close(done)
		readers.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		c, err := s.Counts(ctx, "e1", "smtp")
		if err != nil {
			t.Fatal(err)
		}
		if want := writers * batches * batchSize; c[digest.Sent] != want {
			t.Errorf("sent rows = %d, want %d", c[digest.Sent], want)
		}
	})
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	path := filepath.Join(dir, "state.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Record(t.Context(), []digest.Delivery{delivery("e1", "a@example.com", digest.Sent)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&0o077 != 0 {
			t.Errorf("%s mode = %v, want no access for group and others", filepath.Base(name), got)
		}
	}
}
