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
		Name:    "The Digest",
		BaseURL: "https://digest.example",
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
	unsubscribe := "https://digest.example/u/" + sub.Email
	if err := r.Check(ed, sub, unsubscribe); err != nil {
		log.Fatal(err) // stop before the first message
	}
	c, err := r.Render(ed, sub, unsubscribe) // put together: no slots
	if err != nil {
		log.Fatal(err)
	}
	subject, html, text := c.Subject.String(), c.HTML.String(), c.Text.String()
	fmt.Println(subject)
	fmt.Println(strings.Contains(html, `<a href="https://digest.example/archive/2026-11-29"`))
	for _, line := range strings.Split(text, "\n")[:3] {
		fmt.Println(line)
	}
	// Output:
	// The Digest — 29 November 2026: Go 1.26.9 is released
	// true
	// The Digest
	// ==========
	// 29 November 2026
}
