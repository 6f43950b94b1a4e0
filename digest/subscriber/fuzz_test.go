package subscriber

import (
	"errors"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

// FuzzReader checks that the reader never panics, yields only subscribers
// with valid addresses, known statuses and cadences and no duplicate
// address and no line break in a name, reports rows in increasing line order, and yields a
// stream-ending error only last.
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		head + "ada@example.com,Ada,,,,\nbob@@example.com,Bob,,,,\n",
		"\uFEFFemail;name;topics\r\nada@example.com;\"Ada\nL\";go|rust\r\n",
		"email\tstatus\tcadence\nada@example.com\tbounced\tweekly\nADA@example.com\t\t\n",
		"email,company\n\"a\"\"b@example.com\",x\n,,\nbob@example.com,\"unterminated\n",
		"name\nAda\n",
		"email,email\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		seen := map[string]bool{}
		last := 0
		ended := false
		for sub, err := range NewReader(strings.NewReader(in), "f.csv").Subscribers(t.Context()) {
			if ended {
				t.Fatalf("value yielded after the stream-ending error")
			}
			if err != nil {
				var ie *digest.InputError
				if !errors.As(err, &ie) {
					ended = true
					continue
				}
				if ie.Line <= last {
					t.Fatalf("error on line %d after line %d: %v", ie.Line, last, err)
				}
				last = ie.Line
				continue
			}
			if sub.Line <= last {
				t.Fatalf("subscriber on line %d after line %d", sub.Line, last)
			}
			last = sub.Line
			if err := CheckAddress(sub.Email); err != nil {
				t.Fatalf("yielded subscriber with bad address %q: %v", sub.Email, err)
			}
			switch sub.Status {
			case "", digest.StatusActive, digest.StatusUnsubscribed, digest.StatusBounced:
			default:
				t.Fatalf("yielded status %q", sub.Status)
			}
			switch sub.Cadence {
			case "", digest.CadenceDaily, digest.CadenceWeekly:
			default:
				t.Fatalf("yielded cadence %q", sub.Cadence)
			}
			if strings.ContainsAny(sub.Name, "\r\n") {
				t.Fatalf("name %q has a line break", sub.Name)
			}
			key := strings.ToLower(sub.Email)
			if seen[key] {
				t.Fatalf("address %q yielded twice", sub.Email)
			}
			seen[key] = true
		}
	})
}
