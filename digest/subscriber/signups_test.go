package subscriber

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/digest-newsletter/digest/digest"
)

// signupList is a list of sign-ups that counts its reads.
type signupList struct {
	subs  []digest.Subscriber
	reads int
}

func (l *signupList) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	l.reads++
	return func(yield func(digest.Subscriber, error) bool) {
		for _, s := range l.subs {
			if !yield(s, nil) {
				return
			}
		}
	}
}

// TestWithSignups checks that an address both in the list and signed up
// is yielded once, as the list's row, whatever that row says, and that
// sign-ups get the list's columns.
func TestWithSignups(t *testing.T) {
	csv := "email,name,status,topics,company\n" +
		"ann@example.com,Ann,,go,Acme\n" +
		"BOB@example.com,Bob,unsubscribed,,Initech\n" +
		"bad@@example.com,Bad,,,\n" +
		"dup@example.com,Dup 1,,,\n" +
		"dup@example.com,Dup 2,,,\n"
	signups := &signupList{subs: []digest.Subscriber{
		{Email: "bob@example.com", Name: "Bob (signed up)", Cadence: "weekly"},
		{Email: "Carol@Example.com", Name: "Carol", Topics: []string{"birds"}},
		{Email: "dup@example.com", Name: "Dup (signed up)"},
	}}
	list := WithSignups{List: NewReader(strings.NewReader(csv), "subscribers.csv"), Signups: signups}
	var got []string
	var attrs map[string]string
	for sub, err := range list.Subscribers(t.Context()) {
		if err != nil {
			got = append(got, "error: "+err.Error())
			continue
		}
		got = append(got, sub.Email+" "+sub.Name+" "+sub.Status+" "+strings.Join(sub.Topics, ";"))
		if sub.Email == "Carol@Example.com" {
			attrs = sub.Attrs
		}
	}
	want := []string{
		"ann@example.com Ann  go",
		"BOB@example.com Bob unsubscribed ",
		`error: subscribers.csv:4: email: "bad@@example.com" is not a valid address (more than one @)`,
		"dup@example.com Dup 1  ",
		`error: subscribers.csv:6: email: "dup@example.com" is a duplicate of line 5`,
		"Carol@Example.com Carol  birds",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"company": ""}, attrs); diff != "" {
		t.Errorf("sign-up's attributes (-want +got):\n%s", diff)
	}
	if signups.reads != 2 {
		t.Errorf("sign-ups read %d times, want 2", signups.reads)
	}
}

// TestWithSignupsListFails checks that the list's final error ends the
// stream: no sign-up comes after it.
func TestWithSignupsListFails(t *testing.T) {
	list := WithSignups{List: &File{Path: t.TempDir() + "/missing.csv"},
		Signups: &signupList{subs: []digest.Subscriber{{Email: "carol@example.com"}}}}
	var n int
	var last error
	for _, err := range list.Subscribers(t.Context()) {
		n++
		last = err
	}
	var ie *digest.InputError
	if n != 1 || last == nil || errors.As(last, &ie) {
		t.Errorf("%d items, last error %v; want only the list's error", n, last)
	}
}
