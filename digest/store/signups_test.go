package store

import (
	"slices"
	"testing"
	"time"
)

// TestSignupFlow follows one address from its request, through a second
// request too soon, its confirmation and a second confirmation.
func TestSignupFlow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		req := Signup{Email: "Ann@Example.com", Name: "Ann", Topics: []string{"go", "birds"}, Cadence: "weekly",
			Requested: t0, RequestIP: "192.0.2.1", RequestAgent: "Firefox"}
		nonce, out, err := s.RequestSignup(ctx, req, 10*time.Minute)
		if err != nil || out != RequestMail || nonce == "" {
			t.Fatalf("RequestSignup = %q, %v, %v; want a nonce, RequestMail", nonce, out, err)
		}
		again := req
		again.Name, again.Requested = "Mallory", t0.Add(5*time.Minute)
		if _, out, err := s.RequestSignup(ctx, again, 10*time.Minute); err != nil || out != RequestTooSoon {
			t.Fatalf("second request after 5 minutes = %v, %v; want RequestTooSoon", out, err)
		}
		if c, _ := s.CountSignups(ctx); c != (SignupCounts{Waiting: 1}) {
			t.Errorf("counts before confirming = %+v", c)
		}
		if _, out, _ := s.ConfirmSignup(ctx, "ann@example.com", "forged", t0, "", ""); out != ConfirmStale {
			t.Errorf("confirm with a wrong nonce = %v, want ConfirmStale", out)
		}
		t1 := t0.Add(time.Hour)
		su, cout, err := s.ConfirmSignup(ctx, "ann@example.com", nonce, t1, "198.51.100.7", "Safari")
		if err != nil || cout != Confirmed {
			t.Fatalf("ConfirmSignup = %v, %v; want Confirmed", cout, err)
		}
		want := req
		want.Confirmed, want.ConfirmIP, want.ConfirmAgent = t1, "198.51.100.7", "Safari"
		got, ok, err := s.Signup(ctx, "ANN@example.com")
		if err != nil || !ok {
			t.Fatalf("Signup = %v, %v", ok, err)
		}
		for _, g := range []Signup{su, got} {
			if g.Email != want.Email || g.Name != want.Name || !slices.Equal(g.Topics, want.Topics) || g.Cadence != want.Cadence ||
				!g.Requested.Equal(want.Requested) || g.RequestIP != want.RequestIP || g.RequestAgent != want.RequestAgent ||
				!g.Confirmed.Equal(want.Confirmed) || g.ConfirmIP != want.ConfirmIP || g.ConfirmAgent != want.ConfirmAgent {
				t.Errorf("sign-up = %+v\nwant %+v", g, want)
			}
		}
		if _, out, err := s.ConfirmSignup(ctx, "ann@example.com", nonce, t1.Add(time.Hour), "203.0.113.9", "curl"); err != nil || out != AlreadyConfirmed {
			t.Errorf("second confirmation = %v, %v; want AlreadyConfirmed", out, err)
		}
		if got, _, _ := s.Signup(ctx, "ann@example.com"); got.ConfirmIP != "198.51.100.7" {
			t.Errorf("second confirmation changed the evidence: %+v", got)
		}
		var list []string
		for su, err := range s.Signups(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			list = append(list, su.Email)
		}
		if !slices.Equal(list, []string{"Ann@Example.com"}) {
			t.Errorf("Signups = %q", list)
		}
		if c, _ := s.CountSignups(ctx); c != (SignupCounts{Confirmed: 1}) {
			t.Errorf("counts after confirming = %+v", c)
		}
	})
}

// TestSignupSuppressed checks that a complaint is never lifted by a
// sign-up, and that an unsubscribe is lifted only by the confirmation.
func TestSignupSuppressed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		if err := s.Suppress(ctx, "spam@example.com", "complaint", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, "back@example.com", "one-click", t0); err != nil {
			t.Fatal(err)
		}
		if _, out, err := s.RequestSignup(ctx, Signup{Email: "spam@example.com", Requested: t0}, time.Minute); err != nil || out != RequestSuppressed {
			t.Errorf("request of a complainer = %v, %v; want RequestSuppressed", out, err)
		}
		nonce, rout, err := s.RequestSignup(ctx, Signup{Email: "back@example.com", Requested: t0}, time.Minute)
		if err != nil || rout != RequestMail {
			t.Fatalf("request of an unsubscriber = %v, %v; want RequestMail", rout, err)
		}
		if hit, _ := s.Suppressed(ctx, []string{"back@example.com"}); !hit["back@example.com"] {
			t.Errorf("the request alone lifted the suppression")
		}
		if _, out, err := s.ConfirmSignup(ctx, "back@example.com", nonce, t0, "", ""); err != nil || out != Confirmed {
			t.Fatalf("confirm = %v, %v", out, err)
		}
		hit, _ := s.Suppressed(ctx, []string{"back@example.com", "spam@example.com"})
		if hit["back@example.com"] || !hit["spam@example.com"] {
			t.Errorf("suppressed after confirming = %v, want only spam@", hit)
		}
		var resub string
		if err := s.r.QueryRowContext(ctx, `SELECT at FROM resubscribed WHERE email = 'back@example.com'`).Scan(&resub); err != nil || resub != formatTime(t0) {
			t.Errorf("resubscribed at %q (%v), want the confirmation's time", resub, err)
		}
		// Unsubscribed again, the old link does not bring the address back.
		if err := s.Suppress(ctx, "back@example.com", "one-click", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, out, _ := s.ConfirmSignup(ctx, "back@example.com", nonce, t0.Add(2*time.Hour), "", ""); out != ConfirmStale {
			t.Errorf("old link after unsubscribing = %v, want ConfirmStale", out)
		}
		if c, _ := s.CountSignups(ctx); c != (SignupCounts{Confirmed: 1, Suppressed: 1}) {
			t.Errorf("counts = %+v", c)
		}
	})
}

// TestSignupRequestsForgotten checks that a request never confirmed is
// forgotten after KeepRequests, with its IP address.
func TestSignupRequestsForgotten(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		ctx := t.Context()
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		s.RequestSignup(ctx, Signup{Email: "old@example.com", Requested: t0, RequestIP: "192.0.2.1"}, time.Minute)
		s.RequestSignup(ctx, Signup{Email: "new@example.com", Requested: t0.Add(KeepRequests)}, time.Minute)
		if c, _ := s.CountSignups(ctx); c.Waiting != 2 {
			t.Errorf("waiting = %d, want 2 just before the old one is due", c.Waiting)
		}
		s.RequestSignup(ctx, Signup{Email: "newer@example.com", Requested: t0.Add(KeepRequests + time.Second)}, time.Minute)
		var n int
		s.r.QueryRowContext(ctx, `SELECT count(*) FROM signup_requests WHERE email = 'old@example.com' OR ip = '192.0.2.1'`).Scan(&n)
		if n != 0 {
			t.Errorf("the old request is still kept")
		}
	})
}
