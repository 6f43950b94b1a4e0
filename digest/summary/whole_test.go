package summary

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

// blurbOf returns the default blurb of text under title.
func blurbOf(t *testing.T, title, text string) []string {
	t.Helper()
	got, err := New(Options{}).Summarize(context.Background(), digest.Article{ID: "a", Title: title, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatalf("empty blurb of %q", text)
	}
	return got
}

// TestBlurbQuotesWhole checks that a blurb takes a quotation that runs
// over several sentences whole or not at all, and never a sentence that
// only closes a quotation opened before it.
func TestBlurbQuotesWhole(t *testing.T) {
	tests := []struct {
		name, text string
	}{
		{"question inside a quotation", `Every November the same message lands in my inbox: "My starter has stopped rising. Is it dead?" Almost always the answer is no. It is cold, and a cold starter is a slow starter. The yeast and bacteria that make up a healthy culture are happiest between 24 and 28 degrees.`},
		{"slogan with a full stop", "South Dakota’s viral “Meth. We’re on it.” awareness campaign has been facing backlash and mockery since it was introduced on Monday. The state paid a Minneapolis agency almost half a million dollars for it. The governor said the attention was the point of the campaign."},
		{"reviews in curly quotes", "Visitors who booked through the app came to the theatre to watch the show and left their reviews. We have brought some of them here!\n\n“The show was really great. We received the tickets at the entrance and enjoyed a free drink at the cafe. Booking through the app was really easy.”\n\n“Very talented people! Super fun and entertaining! We also won cosmetics which was a plus!”"},
		{"bracket over two sentences", "The council approved the budget on Tuesday (the vote was close. Two members abstained.) Spending on roads will rise by a tenth next year. Schools will get new roofs before the winter."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := blurbOf(t, "", tt.text)
			for _, s := range got {
				if !balanced(s) {
					t.Errorf("sentence with unbalanced quotes or brackets: %q", s)
				}
			}
			if all := strings.Join(got, " "); !balanced(all) {
				t.Errorf("blurb with unbalanced quotes or brackets: %q", got)
			}
		})
	}
}

// TestBlurbWholeSentences checks that lines that are not sentences —
// list items, a reading-time label, a byline, a heading — are not taken
// into a blurb when the article has sentences.
func TestBlurbWholeSentences(t *testing.T) {
	tests := []struct {
		name, text, notWant string
	}{
		{"list items with prices", "Black Friday is almost here: for those who do not know, it is the Friday after Thanksgiving when shops offer big discounts.\n\n7) Indiana Jones Collection 1-4 (Steelbook) (5 Blu-Ray)\n\n20) Labirinto Magico, board game for the family\n\nThe discounts run until Monday in most of the big online shops.", "Indiana Jones"},
		{"reading time", "Tempo de leitura: 2 minutos\n\nO professor apresenta, neste vídeo, uma loja incrível repleta de materiais didáticos e livros para crianças. Por que não temos uma assim no Brasil?", "Tempo de leitura"},
		{"byline", "By Stefan Becket, Kathryn Watson and Grace Segers\n\nThe former special envoy and a former council official testified side by side before the committee on Tuesday. Both said they had no knowledge of any effort to press for investigations.", "Becket"},
		{"heading between paragraphs", "The river rose three metres overnight after a week of heavy rain across the valley.\n\nWhat the council will do next\n\nThe town council will meet on Friday to plan the clean-up of the flooded streets.", "What the council"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := blurbOf(t, "", tt.text)
			if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.notWant) }) {
				t.Errorf("blurb holds %q: %q", tt.notWant, got)
			}
		})
	}
}

// TestBlurbNeverRepeatsTitle checks that a title at the head of the text,
// alone or repeated in another casing and run into the first paragraph,
// is not part of the blurb.
func TestBlurbNeverRepeatsTitle(t *testing.T) {
	const title = "Ceasefire talks in Geneva collapse after two days"
	tests := []struct{ name, text string }{
		{"title line", title + "\n\nDelegations arrived at the Palais des Nations on Monday for what mediators called the last chance of a ceasefire this winter. On Wednesday the talks failed without an agreement."},
		{"title twice in two casings", title + "\n" + strings.ToUpper(title) + "\n\nDelegations arrived at the Palais des Nations on Monday for what mediators called the last chance of a ceasefire this winter. On Wednesday the talks failed without an agreement."},
		{"title twice in two paragraphs, then short lines", title + "\n\n" + strings.ToUpper(title) + "\n\nDelegations arrived at the Palais des Nations\n\nThe talks failed on Wednesday"},
		{"title run into the lede", title + " Delegations arrived at the Palais des Nations on Monday for what mediators called the last chance of a ceasefire this winter. On Wednesday the talks failed without an agreement."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := blurbOf(t, title, tt.text)
			if strings.Contains(strings.ToLower(strings.Join(got, " ")), strings.ToLower(title)) {
				t.Errorf("blurb repeats the title: %q", got)
			}
			if !strings.HasPrefix(got[0], "Delegations arrived") {
				t.Errorf("blurb starts %q, want the lede", got[0])
			}
		})
	}
}

// TestSplitByLanguage checks that the page's declared language chooses
// the abbreviations that do not end a sentence: "ING." ends one in
// English, while in Italian "Ing." is a title before a name; with no
// language known, the abbreviations of every language are kept.
func TestSplitByLanguage(t *testing.T) {
	tests := []struct {
		lang, in string
		want     int
	}{
		{"en", "Their new bank is ING. The Dutch group opened the branch on Monday.", 2},
		{"en-GB", "Their new bank is ING. The Dutch group opened the branch on Monday.", 2},
		{"it", "Il progetto è dell'Ing. Rossi. Nessuno ha risposto.", 2},
		{"de", "Die Preise steigen um fünf bzw. Sechs Prozent. Das gilt ab Januar.", 2},
		{"", "Die Preise steigen um fünf bzw. Sechs Prozent. Das gilt ab Januar.", 2},
	}
	for _, tt := range tests {
		if got := splitParagraph(tt.in, tt.lang, nil); len(got) != tt.want {
			t.Errorf("lang %q: %q gives %d sentences %q, want %d", tt.lang, tt.in, len(got), got, tt.want)
		}
	}
}
