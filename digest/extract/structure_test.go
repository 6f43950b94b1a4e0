package extract

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestTextTitle checks that the first line of plain text is its title
// when it is a headline — short, with no final punctuation, standing alone
// or repeated — and not when it is the start of hard-wrapped prose.
func TestTextTitle(t *testing.T) {
	tests := []struct {
		name, in, title, text string
	}{
		{"headline twice in two casings",
			"Skip to content\n\nCeasefire talks in Geneva collapse after two days\nCEASEFIRE TALKS IN GENEVA COLLAPSE AFTER TWO DAYS\n\nGENEVA — Delegations arrived on Monday.[1]",
			"Ceasefire talks in Geneva collapse after two days", "GENEVA — Delegations arrived on Monday."},
		{"headline alone",
			"Heat pumps in cold climates\n\nThe most common objection is also the oldest.",
			"Heat pumps in cold climates", "The most common objection is also the oldest."},
		{"hard-wrapped prose",
			"The most common objection to heat pumps is also the\noldest one: they stop working in the cold.",
			"", "The most common objection to heat pumps is also the\noldest one: they stop working in the cold."},
		{"first line a sentence",
			"The storm hit at dawn.\n\nIt was big.",
			"", "The storm hit at dawn.\n\nIt was big."},
		{"only a headline",
			"Breaking news from the valley",
			"", "Breaking news from the valley"},
		{"only a headline, twice",
			"Breaking: storm hits the coast\nBREAKING: STORM HITS THE COAST\n",
			"", "Breaking: storm hits the coast"},
		{"a long first line is prose",
			"This line goes on and on for far more words than any headline would ever hold because it is the start of a paragraph that someone forgot to end with punctuation\n\nNext.",
			"", "This line goes on and on for far more words than any headline would ever hold because it is the start of a paragraph that someone forgot to end with punctuation\n\nNext."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Any([]byte(tt.in), "story.txt", "")
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.title || p.Text != tt.text {
				t.Errorf("title, text = %q, %q; want %q, %q", p.Title, p.Text, tt.title, tt.text)
			}
		})
	}
}

// TestMarkdownTitle checks that a heading at the top of a Markdown file is
// its title, in either heading style, and is not left at the head of the
// text where it would run into the first sentence.
func TestMarkdownTitle(t *testing.T) {
	tests := []struct {
		name, in, title, text string
	}{
		{"ATX heading, no blank line after it",
			"# Kestrels return to the *silo*\nFor the fourth year running, a pair of kestrels has raised a brood by the canal.\n",
			"Kestrels return to the silo", "For the fourth year running, a pair of kestrels has raised a brood by the canal."},
		{"setext heading",
			"\nKestrels return to the silo\n===========================\n\nFor the fourth year running, a pair of kestrels has raised a brood.\n",
			"Kestrels return to the silo", "For the fourth year running, a pair of kestrels has raised a brood."},
		{"front matter title and the same heading",
			"---\ntitle: Kestrels return to the silo\n---\n## Kestrels Return to the Silo\n\nFor the fourth year running, a pair of kestrels has raised a brood.\n",
			"Kestrels return to the silo", "For the fourth year running, a pair of kestrels has raised a brood."},
		{"front matter title and another heading",
			"---\ntitle: Kestrels return to the silo\n---\n## The ledge\n\nFor the fourth year running, a pair of kestrels has raised a brood.\n",
			"Kestrels return to the silo", "The ledge\n\nFor the fourth year running, a pair of kestrels has raised a brood."},
		{"no heading",
			"For the fourth year running, a pair of kestrels has raised a brood.\n\n# Not a title\n\nIt is late.\n",
			"", "For the fourth year running, a pair of kestrels has raised a brood.\n\nNot a title\n\nIt is late."},
		{"hash tag is not a heading",
			"#kestrels have raised a brood on the silo again.\n",
			"", "#kestrels have raised a brood on the silo again."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Any([]byte(tt.in), "post.md", "")
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.title || p.Text != tt.text {
				t.Errorf("title, text = %q, %q; want %q, %q", p.Title, p.Text, tt.title, tt.text)
			}
		})
	}
}

// TestPageFacts checks that what a page says about itself is used: the
// JSON-LD article's author and date become the page's, and the text loses
// the image's caption (it repeats the image's description), the line of
// <time> and author link, and a related story's headline that is not in
// the JSON-LD articleBody.
func TestPageFacts(t *testing.T) {
	page, err := os.ReadFile("testdata/facts.html")
	if err != nil {
		t.Fatal(err)
	}
	p, err := HTML(bytes.NewReader(page), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Byline != "Iris Penhale" {
		t.Errorf("Byline = %q, want %q", p.Byline, "Iris Penhale")
	}
	if want := time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC); !p.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", p.Published, want)
	}
	if p.Title != "Kestrels raise a fourth brood on the canal silo" {
		t.Errorf("Title = %q", p.Title)
	}
	if !strings.HasPrefix(p.Text, "For the fourth year running") {
		t.Errorf("text starts %q, want the first paragraph", p.Text[:min(len(p.Text), 120)])
	}
	for _, no := range []string{"brings a vole", "2 December", "Iris Penhale", "Swifts return"} {
		if strings.Contains(p.Text, no) {
			t.Errorf("text holds %q:\n%s", no, p.Text)
		}
	}
	if !strings.Contains(p.Text, "planning committee.") {
		t.Errorf("text lost its last paragraph:\n%s", p.Text)
	}
}

// TestCleanByline checks that a byline is reduced to its names.
func TestCleanByline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"By Iris Penhale · 2 December 2026 · 6 min read", "Iris Penhale"},
		{"Iris Penhale | Nature correspondent", "Iris Penhale"},
		{"by Stefan Becket, Kathryn Watson", "Stefan Becket, Kathryn Watson"},
		{"Por Ana Lima", "Ana Lima"},
		{"Published 10:02 AM EST Nov 19, 2019", ""},
		{"Byron Tau", "Byron Tau"},
	}
	for _, tt := range tests {
		if got := cleanByline(tt.in); got != tt.want {
			t.Errorf("cleanByline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFurnitureInsideArticle checks that the blocks inside the article
// whose class names them as furniture (a photo caption, a byline, a box of
// related stories) are left out: readability strips class names from what
// it returns, so they must be kept for the pruning to see them.
func TestFurnitureInsideArticle(t *testing.T) {
	para := func(s string) string { return "<p>" + s + "</p>\n" }
	page := `<!doctype html><html lang="en"><head><title>Harbour reopens after storm repairs</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article class="story">
<h1>Harbour reopens after storm repairs</h1>
<div class="story-byline">Maren Holt, harbour correspondent</div>
` + para("The harbour at Millbrook reopened on Friday after eight months of repairs to the sea wall, which was breached in the February storms. Fishing boats were the first to come back in, followed by the ferry to the islands, which had run from the town beach since the spring.") + `
<div class="image-caption">The repaired sea wall at high tide on Thursday evening, a day before the reopening</div>
` + para("The repairs cost four million pounds, a quarter more than planned, because the contractor found the foundations of the old wall in worse shape than the survey had shown. The council paid the difference from its reserves and says it will ask the government for help.") + `
<div class="related-stories">Storm damage: the streets still closed in the old town. Ferry timetable for the winter months.</div>
` + para("Harbour users said they were relieved to be back. The ferry company expects to run its full timetable again from Monday, and the fish market will open on its usual days from next week, after a ceremony with the mayor on Saturday morning.") + `
</article>
<footer>Contact us</footer>
</body></html>`
	p, err := HTML(strings.NewReader(page), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, no := range []string{"harbour correspondent", "high tide on Thursday", "Storm damage"} {
		if strings.Contains(p.Text, no) {
			t.Errorf("text holds furniture %q:\n%s", no, p.Text)
		}
	}
	if !strings.Contains(p.Text, "ceremony with the mayor") {
		t.Errorf("text lost the article:\n%s", p.Text)
	}
}

// TestHeadlineAndStandfirst checks that the page's <h1>, even when it is
// worded unlike the <title>, and the standfirst that microdata marks as
// the article's description are not part of the text.
func TestHeadlineAndStandfirst(t *testing.T) {
	story := strings.Repeat("<p>The state paid a Minneapolis agency almost half a million dollars for the campaign, which drew mockery online within hours of its launch on Monday morning. The governor said the attention was the point of it, and that people were now talking about the problem.</p>\n", 3)
	page := `<!doctype html><html lang="en" itemscope itemtype="http://schema.org/Article"><head>
<title>'Meth. We're On It': campaign is working, governor says | Argus Leader</title></head><body>
<article>
<h1 class="title">South Dakota says, 'Meth. We're On It,' and the internet asks, Are you OK?</h1>
<div itemprop="description" class="article__lead"><p>What were the governor and her advisers thinking when they approved a slogan that invites a joke?</p></div>
` + story + `</article></body></html>`
	p, err := HTML(strings.NewReader(page), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, no := range []string{"the internet asks", "What were the governor"} {
		if strings.Contains(p.Text, no) {
			t.Errorf("text holds %q:\n%s", no, p.Text)
		}
	}
	if !strings.HasPrefix(p.Text, "The state paid") {
		t.Errorf("text starts %q, want the story", p.Text[:min(80, len(p.Text))])
	}
}
