package summary

import (
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

func TestSimilarity(t *testing.T) {
	tests := []struct {
		name     string
		a, b     string
		min, max float64
	}{
		{"identical", "Floods hit the town of Millbrook.", "Floods hit the town of Millbrook.", 0.999, 1},
		{"same story, other words", "Floods forced hundreds from their homes in Millbrook on Tuesday.", "Hundreds of Millbrook homes flooded on Tuesday.", SameStory, 1},
		{"different stories", "Floods forced hundreds from their homes in Millbrook.", "The central bank raised interest rates by half a point.", 0, 0.05},
		{"stop words only", "the and of", "the and of", 0, 0},
		{"empty", "", "Floods", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Similarity(tt.a, tt.b)
			if got < tt.min || got > tt.max {
				t.Errorf("Similarity = %.3f, want in [%.2f, %.2f]", got, tt.min, tt.max)
			}
			if back := Similarity(tt.b, tt.a); back != got {
				t.Errorf("Similarity is not symmetric: %.3f and %.3f", got, back)
			}
		})
	}
}

// TestSameStory checks the figures SameStory's comment
// quotes: most same-story pairs reach it, almost no different-story pairs do.
func TestSameStoryThreshold(t *testing.T) {
	arts, refs := devSet(t)
	leads := make([]string, len(arts))
	for i, a := range arts {
		leads[i] = strings.Join(Lead(a, 3), " ")
	}
	same, diff, pairs := 0, 0, 0
	for i := range leads {
		if Similarity(leads[i], refs[i]) >= SameStory {
			same++
		}
		for j := i + 1; j < len(leads); j++ {
			pairs++
			if Similarity(leads[i], leads[j]) >= SameStory {
				diff++
			}
		}
	}
	t.Logf("same story: %d of %d reach %.2f; different stories: %d of %d pairs", same, len(leads), SameStory, diff, pairs)
	if same < len(leads)*8/10 {
		t.Errorf("only %d of %d same-story pairs reach the threshold", same, len(leads))
	}
	if diff > pairs/500 {
		t.Errorf("%d of %d different-story pairs reach the threshold", diff, pairs)
	}
}

func TestOverview(t *testing.T) {
	item := func(title string, blurb ...string) digest.Item {
		return digest.Item{Article: digest.Article{Title: title}, Blurb: blurb}
	}
	tests := []struct {
		name  string
		items []digest.Item
		want  string
	}{
		{"none", nil, ""},
		{"one", []digest.Item{item("Floods hit Millbrook")}, "In this issue: Floods hit Millbrook."},
		{"two", []digest.Item{item("Floods hit Millbrook"), item("Rates rise")}, "In this issue: Floods hit Millbrook; and Rates rise."},
		{"four", []digest.Item{item("A"), item("B"), item("C"), item("D")}, "In this issue: A; B; C; and one more story."},
		{"six", []digest.Item{item("A"), item("B"), item("C"), item("D"), item("E"), item("F")}, "In this issue: A; B; C; and 3 more stories."},
		{"untitled uses the blurb", []digest.Item{item("", "The river rose three metres.", "More later.")}, "In this issue: The river rose three metres."},
		{"title whitespace", []digest.Item{item("  Floods\n hit  ")}, "In this issue: Floods hit."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Overview(tt.items); got != tt.want {
				t.Errorf("Overview = %q, want %q", got, tt.want)
			}
		})
	}
}
