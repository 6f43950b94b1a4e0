package extract

import "testing"

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
