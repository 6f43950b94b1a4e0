package mailer

import (
	"fmt"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/render"
)

// benchEdition is an edition of n items from three sources, about the size
// of a daily digest.
func benchEdition(n int) *digest.Edition {
	at := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	ed := &digest.Edition{ID: "2026-11-29", Cadence: digest.CadenceDaily, Created: at,
		Overview: fmt.Sprintf("%d stories today.", n)}
	for i := range n {
		src := []string{"Go Blog", "LWN.net", "Hacker News"}[i%3]
		ed.Items = append(ed.Items, digest.Item{
			Article: digest.Article{
				ID:        fmt.Sprintf("https://example.com/%d", i),
				URL:       fmt.Sprintf("https://example.com/story-%d", i),
				Title:     fmt.Sprintf("Story number %d from %s", i, src),
				Source:    src,
				SourceURL: "https://example.com/feed.xml",
				Published: at.Add(-time.Duration(i) * time.Hour),
			},
			Blurb: []string{
				"The Go team released a new minor version with fixes to the compiler and the runtime.",
				"Upgrading is recommended for everyone running services in production & at home.",
			},
		})
	}
	return ed
}

// BenchmarkRenderAndBuild measures what a run spends per message once its
// view is compiled and framed: the subscriber's values for the slots, and
// the MIME message built as an SMTP connection does, ready for DATA, in
// buffers reused from message to message. The subscribers have a column of
// their own (company) that the templates do not show.
func BenchmarkRenderAndBuild(b *testing.B) {
	r, err := render.New(render.Options{Name: "The Digest", BaseURL: "https://digest.example"})
	if err != nil {
		b.Fatal(err)
	}
	unsubscribe := func(email string) string { return "https://digest.example/u?e=" + email }
	ed := benchEdition(20)
	subs := make([]digest.Subscriber, 1000)
	for i := range subs {
		subs[i] = digest.Subscriber{Email: fmt.Sprintf("user%07d@example.com", i), Name: fmt.Sprintf("User %07d", i),
			Attrs: map[string]string{"company": fmt.Sprintf("Company %d", i)}}
	}
	c, err := r.Compile(ed, subs[0], unsubscribe(subs[0].Email))
	if err != nil {
		b.Fatal(err)
	}
	f, err := newFrame(c, digest.Letterhead{From: "The Digest <digest@example.org>", ListID: "The Digest <digest.example.org>",
		Unsubscribe: true, OneClick: true}, "")
	if err != nil {
		b.Fatal(err)
	}
	var bld builder
	size := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sub := subs[i%len(subs)]
		i++
		u := unsubscribe(sub.Email)
		m := &digest.Message{Edition: ed.ID, Sender: "digest@example.org", To: sub.Email, ToName: sub.Name,
			MessageID: digest.MessageID(ed.ID, sub.Email, "example.org"), Date: ed.Created,
			ListUnsubscribe: []string{u}, Frame: f, Values: c.Values(sub, u)}
		wire, err := bld.build(m, true)
		if err != nil {
			b.Fatal(err)
		}
		size = len(wire)
	}
	b.ReportMetric(float64(size), "bytes/msg")
}
