package digest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// The cases follow the README's "never twice, never lost" promises.
func TestTransition(t *testing.T) {
	created := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	p := policy{run: "run2", created: created, deferMaxAge: 48 * time.Hour, messageID: "2026-11-29.ab@example.org"}
	resend := p
	resend.resendUnknown = true
	late := created.Add(49 * time.Hour)
	row := func(s DeliveryStatus, run string) Delivery {
		return Delivery{Edition: "2026-11-29", Channel: "smtp", Email: "ann@example.com", Status: s, Reply: "451 later", Run: run}
	}
	tests := []struct {
		name   string
		row    Delivery
		now    time.Time
		p      policy
		want   step
		status DeliveryStatus // of the row to write; "" when nothing is written
	}{
		{"a new address is sent", row("", ""), now, p, stepSend, Sending},
		{"a pending row is sent", row(Pending, "run1"), now, p, stepSend, Sending},
		{"a sent row is never sent twice", row(Sent, "run1"), now, p, stepSkipSent, ""},
		{"a failed row is not retried", row(Failed, "run1"), now, p, stepSkipFailed, ""},
		{"an unknown row is not resent", row(Sending, "run1"), now, p, stepUnknown, ""},
		{"an unknown row is resent when asked", row(Sending, "run1"), now, resend, stepRetry, Sending},
		{"a deferred row is retried", row(Deferred, "run1"), now, p, stepRetry, Sending},
		{"a deferred row of an old edition is failed", row(Deferred, "run1"), late, p, stepExpire, Failed},
		{"a row this run claimed means the address is listed twice", row(Sending, "run2"), now, resend, stepTwice, ""},
		{"a status this binary does not know is not guessed unsent", row("bounced", "run1"), now, resend, stepUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, w := transition(tt.row, tt.now, tt.p)
			if got != tt.want {
				t.Fatalf("step %d, want %d", got, tt.want)
			}
			switch tt.status {
			case Sending:
				if w.Status != Sending || w.Run != tt.p.run || w.MessageID != tt.p.messageID || !w.Updated.Equal(tt.now) {
					t.Errorf("row to write %+v: want sending, claimed by %s with the Message-ID", w, tt.p.run)
				}
			case Failed:
				if w.Status != Failed || !strings.Contains(w.Reply, "451 later") {
					t.Errorf("row to write %+v: want failed, keeping the last reply", w)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want outcome
		drop bool
	}{
		{"accepted", nil, outcomeSent, false},
		{"a permanent refusal fails", &SendError{Code: 550, Permanent: true}, outcomeFailed, false},
		{"a temporary refusal is tried again", &SendError{Code: 451}, outcomeDeferred, false},
		{"421 closes the connection", &SendError{Code: 421}, outcomeDeferred, true},
		{"a broken connection is redialled", fmt.Errorf("smtp data: %w", io.ErrUnexpectedEOF), outcomeDeferred, true},
		{"a dial error is redialled", errors.New("smtp dial: connection refused"), outcomeDeferred, true},
		{"a lost final reply is unknown, never retried", fmt.Errorf("smtp: %w", ErrMaybeDelivered), outcomeUnknown, true},
		{"a refused login stops the run", fmt.Errorf("open: %w", &SettingsError{Err: errors.New("535 bad credentials")}), outcomeStop, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, drop := classify(tt.err)
			if got != tt.want || drop != tt.drop {
				t.Errorf("classify = %d, drop %v; want %d, drop %v", got, drop, tt.want, tt.drop)
			}
		})
	}
}
