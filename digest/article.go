package digest

import "time"

// An Article is one piece of writing collected from a source: a feed entry,
// a Markdown file or a web page. Text is clean plain text (no markup, no
// boilerplate), the input of the summarizer.
type Article struct {
	// ID identifies the article across runs: its canonical URL when it has
	// one, otherwise the source and the entry's own ID.
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Author    string    `json:"author,omitempty"`
	Source    string    `json:"source"`     // the source's display name
	SourceURL string    `json:"source_url"` // where the source lives (feed URL, folder)
	Published time.Time `json:"published"`
	// FirstSeen is when digest first collected the article, zero when
	// unknown. Unlike Published, the source cannot set it: when two sources
	// carry the same story, the one that had it first gives the item.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	Tags      []string  `json:"tags,omitempty"`
	// Lang is the language of Text as the page declares it (a BCP 47 tag
	// such as "pt-BR"), empty when unknown.
	Lang string `json:"lang,omitempty"`
	Text string `json:"text,omitempty"`
	// AlsoIn names the other sources that carried the same story, and
	// Duplicates holds those articles' IDs: they are folded into this one
	// and count as sent with it.
	AlsoIn     []string `json:"also_in,omitempty"`
	Duplicates []string `json:"duplicates,omitempty"`
}

// A SourceFailure reports one source that could not be collected. The run
// goes on with the other sources.
type SourceFailure struct {
	Source string `json:"source"`
	Err    string `json:"error"`
}

// A Collection is what collecting all sources gave: the articles found and
// the sources that failed.
type Collection struct {
	Articles []Article
	Failures []SourceFailure
}
