package render

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// Data is what every template receives as its dot. The same value goes to
// the subject, HTML and text templates, except that Subject is empty while
// the subject itself is being rendered.
type Data struct {
	// Edition is the edition being sent, with its items made safe.
	Edition Edition
	// Items is Edition.Items, for short.
	Items []Item
	// Groups holds the items grouped by source or topic (Options.GroupBy),
	// in the order the groups first appear.
	Groups []Group
	// Subscriber is the person the message is for. Attrs holds every other
	// column of their row; a missing key is an error (missingkey=error).
	// Line is always 0 here.
	Subscriber digest.Subscriber
	// Name is the newsletter's name; Lang its language ("en").
	Name string
	Lang string
	// Subject is the rendered subject line (empty inside the subject
	// template itself).
	Subject string
	// Date is the edition's date, like "29 November 2026": the date its ID
	// names for a dated edition (2026-11-29), else the day it was made. A
	// weekly edition is dated by its week, like "Week 50 (7–13 December
	// 2026)": the ISO week its ID names (2026-W50), else the week of its
	// date.
	Date string
	// UnsubscribeURL is the subscriber's unsubscribe link, or "".
	UnsubscribeURL string
	// ArchiveURL is the edition's page on the web archive ("view in
	// browser"), or "" when no base URL is configured.
	ArchiveURL string
	// LogoURL is Options.LogoURL when it is an absolute http(s) URL, or "".
	LogoURL string
	// Accent is the colour of links and titles (Options.Accent), like
	// "#0b57d0".
	Accent string
	// NoteHTML is the editor's note rendered from Markdown, safe to output.
	NoteHTML template.HTML
	// NoteText is the editor's note as wrapped plain text, its links as
	// numbered references listed under it.
	NoteText string
	// Refs numbers links in the text part: {{$.Refs.Add .URL}} gives "[3]",
	// {{range $.Refs.Take}} lists the references added since the last Take.
	Refs *Refs
}

// Edition is an edition as templates see it.
type Edition struct {
	ID       string
	Cadence  string
	Subject  string // the edition's fixed subject, usually empty
	Overview string // one line about the edition (also the preheader)
	Created  time.Time
	Items    []Item
}

// Item is an article of the edition as templates see it. URL and SourceURL
// are absolute http(s) URLs or empty: a link that is anything else (a
// relative or javascript: URL, say) is dropped.
type Item struct {
	ID        string
	Title     string
	URL       string
	Source    string
	SourceURL string
	Author    string
	Published time.Time
	// Date is Published like "28 November 2026", or "" when unknown.
	Date string
	// Blurb is the summary, a sentence an element; Summary joins them.
	Blurb   []string
	Summary string
	AlsoIn  []string
	Tags    []string
	// Text is the article's full plain text; it may be long.
	Text string
}

// Group is a run of items under one heading.
type Group struct {
	Name  string
	Items []Item
}

// Refs numbers the links of one text message. The zero value starts at 1.
// It is not safe for concurrent use; each rendering gets its own.
type Refs struct {
	n       int
	pending []string
}

// Add records a link and returns its reference, like "[3]". An empty URL
// gives "" and is not numbered.
func (r *Refs) Add(u string) string {
	if u == "" {
		return ""
	}
	r.n++
	ref := "[" + strconv.Itoa(r.n) + "]"
	r.pending = append(r.pending, ref+" "+u)
	return ref
}

// Take returns the references added since the last Take, each like
// "[3] https://example.com/", and forgets them.
func (r *Refs) Take() []string {
	p := r.pending
	r.pending = nil
	return p
}

// dateLayout is how dates read in the default templates.
const dateLayout = "2 January 2006"

// editionDate returns the Date templates see for ed (see Data.Date); now
// dates an edition with neither a dated ID nor a creation time.
func editionDate(ed *digest.Edition, now func() time.Time) string {
	day := ed.Created
	if day.IsZero() {
		day = now()
	}
	if d, err := time.Parse(time.DateOnly, ed.ID); err == nil {
		// A dated edition is dated by its ID, also when it is made (or
		// made again) on another day.
		day = d
	}
	if monday, ok := isoWeekMonday(ed.ID); ok {
		return weekDate(monday)
	}
	if ed.Cadence == digest.CadenceWeekly {
		y, m, d := day.Date()
		day = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return weekDate(day.AddDate(0, 0, -(int(day.Weekday())+6)%7))
	}
	return day.Format(dateLayout)
}

// isoWeekMonday returns the Monday of the ISO week an ID like "2026-W50"
// names; ok is false for any other ID.
func isoWeekMonday(id string) (monday time.Time, ok bool) {
	var y, w int
	if len(id) != len("2026-W50") || id[4:6] != "-W" {
		return time.Time{}, false
	}
	if _, err := fmt.Sscanf(id, "%4d-W%2d", &y, &w); err != nil || w < 1 || w > 53 {
		return time.Time{}, false
	}
	// 4 January is always in week 1.
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, time.UTC)
	return jan4.AddDate(0, 0, -(int(jan4.Weekday())+6)%7+(w-1)*7), true
}

// weekDate names the ISO week starting on monday, with its days: "Week 50
// (7–13 December 2026)", "Week 49 (30 November – 6 December 2026)".
func weekDate(monday time.Time) string {
	sunday := monday.AddDate(0, 0, 6)
	_, w := monday.ISOWeek()
	var days string
	switch {
	case monday.Year() != sunday.Year():
		days = monday.Format(dateLayout) + " – " + sunday.Format(dateLayout)
	case monday.Month() != sunday.Month():
		days = monday.Format("2 January") + " – " + sunday.Format(dateLayout)
	default:
		days = monday.Format("2") + "–" + sunday.Format(dateLayout)
	}
	return fmt.Sprintf("Week %d (%s)", w, days)
}

// safeURL returns u if it is an absolute http or https URL with a host, and
// "" otherwise.
func safeURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.String()
	}
	return ""
}

func newItem(it digest.Item) Item {
	v := Item{
		ID:        it.ID,
		Title:     digest.CleanText(it.Title),
		URL:       safeURL(it.URL),
		Source:    digest.CleanText(it.Source),
		SourceURL: safeURL(it.SourceURL),
		Author:    digest.CleanText(it.Author),
		Published: it.Published,
		Blurb:     it.Blurb,
		Summary:   digest.CleanText(strings.Join(it.Blurb, " ")),
		AlsoIn:    it.AlsoIn,
		Tags:      it.Tags,
		Text:      it.Text,
	}
	if v.Title == "" {
		v.Title = v.URL
	}
	if !it.Published.IsZero() {
		v.Date = it.Published.Format(dateLayout)
	}
	return v
}

// group sorts items into groups by "source" (the default), "topic" (the
// first tag; untagged items go under "More") or "none" (one unnamed group).
func group(items []Item, by string) []Group {
	if by == "none" || len(items) == 0 {
		return []Group{{Items: items}}
	}
	index := map[string]int{}
	var gs []Group
	for _, it := range items {
		name := it.Source
		if by == "topic" {
			name = "More"
			if len(it.Tags) > 0 {
				name = it.Tags[0]
			}
		}
		i, ok := index[name]
		if !ok {
			i = len(gs)
			index[name] = i
			gs = append(gs, Group{Name: name})
		}
		gs[i].Items = append(gs[i].Items, it)
	}
	return gs
}

// DefaultAccent is the accent colour when none is set.
const DefaultAccent = "#0b57d0"

// IsColor reports whether s is a CSS hex colour, "#rgb" or "#rrggbb": the
// only form the accent setting takes, so that nothing else reaches the
// templates' style sheet.
func IsColor(s string) bool {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
