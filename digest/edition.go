package digest

import "time"

// An Edition is one issue of the newsletter: the items it carries and the
// subject line. It is frozen in the state at its first run, so every later run
// of the same edition sends exactly the same content.
type Edition struct {
	// ID is the local date in the configured time zone ("2026-11-29") for a
	// daily edition, the ISO week ("2026-W48") for a weekly one, or any name
	// given with --edition.
	ID       string    `json:"id"`
	Cadence  string    `json:"cadence"`
	Subject  string    `json:"subject"`
	Overview string    `json:"overview"`
	Created  time.Time `json:"created"`
	Items    []Item    `json:"items"`
	// Note is the editor's note for this edition, as Markdown.
	Note string `json:"note,omitempty"`
}

// An Item is an article as it appears in an edition, with its blurb.
type Item struct {
	Article
	// Blurb is the article's summary, one sentence an element.
	Blurb []string `json:"blurb"`
}

// Tags returns every distinct tag of the edition's items, in first-seen order.
func (e *Edition) Tags() []string {
	seen := map[string]bool{}
	var tags []string
	for _, it := range e.Items {
		for _, t := range it.Tags {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
	}
	return tags
}
