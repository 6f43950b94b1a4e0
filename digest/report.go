package digest

import (
	"fmt"
	"time"
)

// A Report says what a run did, for the log line at the end, --report and
// the exit code.
type Report struct {
	Editions []string `json:"editions"`
	Channel  string   `json:"channel"`

	Sent        int `json:"sent"`
	Failed      int `json:"failed"`   // permanently refused in this run
	Deferred    int `json:"deferred"` // temporarily refused; retried by the next run
	Unknown     int `json:"unknown"`  // left in sending by a crash; not resent
	Pending     int `json:"pending"`  // not attempted: the run stopped early
	AlreadySent int `json:"already_sent"`
	// AlreadyFailed counts addresses refused permanently by an earlier run.
	AlreadyFailed int `json:"already_failed"`
	Skipped       int `json:"skipped"` // unsubscribed, bounced or suppressed
	Invalid       int `json:"invalid"` // bad rows in the subscriber list
	Empty         int `json:"empty"`   // no item matched the subscriber's topics
	NotToday      int `json:"not_today"`

	SourceFailures []SourceFailure `json:"source_failures,omitempty"`
	Problems       []Problem       `json:"problems,omitempty"`
	// Stopped says why sending stopped early, if it did.
	Stopped string `json:"stopped,omitempty"`

	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// SendTimes are the quantiles of the time each message took, rendering
	// and retries included; nil when nothing was attempted.
	SendTimes *SendTimes `json:"send_times,omitempty"`
}

// A Problem is one address that was not delivered, with the reason.
type Problem struct {
	Email  string         `json:"email"`
	Status DeliveryStatus `json:"status"`
	Reply  string         `json:"reply"`
}

// maxProblems bounds the problems kept in a report.
const maxProblems = 100

// Rate returns the messages sent per second.
func (r *Report) Rate() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Duration.Seconds()
}

// Complete reports whether every subscriber owed the edition has it (or has
// been refused for good): nothing failed, deferred, unknown or left pending.
func (r *Report) Complete() bool {
	return r.Failed == 0 && r.Deferred == 0 && r.Unknown == 0 && r.Pending == 0
}

// Summary is the one-line account of the run.
func (r *Report) Summary() string {
	line := fmt.Sprintf("sent %d, failed %d, deferred %d, unknown %d, pending %d, already sent %d, skipped %d, invalid %d in %s (%.1f/s)",
		r.Sent, r.Failed, r.Deferred, r.Unknown, r.Pending, r.AlreadySent, r.Skipped+r.Empty+r.NotToday, r.Invalid,
		r.Duration.Round(time.Millisecond), r.Rate())
	if n := len(r.SourceFailures); n > 0 {
		line += fmt.Sprintf("; sources failed: %d (listed above)", n)
	}
	return line
}

func (r *Report) addProblem(p Problem) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, p)
	}
}
