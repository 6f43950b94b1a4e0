package render_test

import (
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/render"
)

func Example() {
	r, err := render.New(render.Options{
		Name:           "The Digest",
		BaseURL:        "https://digest.example",
		UnsubscribeURL: func(email string) string { return "https://digest.example/u/" + email },
	})
	if err != nil {
		log.Fatal(err) // a *digest.InputError naming file:line:col
	}
	ed := &digest.Edition{
		ID:      "2026-11-29",
		Created: time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC),
		Items: []digest.Item{{
			Article: digest.Article{ID: "1", Title: "Go 1.26.9 is released", URL: "https://go.dev/blog/", Source: "Go Blog"},
			Blurb:   []string{"A minor release with security fixes."},
		}},
	}
	sub := digest.Subscriber{Email: "ada@example.org", Name: "Ada"}
	if err := r.Check(ed, sub); err != nil {
		log.Fatal(err) // stop before the first message
	}
	c, err := r.Render(ed, sub)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Subject)
	fmt.Println(strings.Contains(c.HTML, `<a href="https://digest.example/archive/2026-11-29"`))
	for _, line := range strings.Split(c.Text, "\n")[:3] {
		fmt.Println(line)
	}
	// Output:
	// The Digest — 29 November 2026: Go 1.26.9 is released
	// true
	// The Digest
	// ==========
	// 29 November 2026
}
