package digest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/summary"
)

// collector is a Collector over fixed articles: the stages after
// collection are what these tests are about.
type collector struct {
	articles []digest.Article
	failures []digest.SourceFailure
}

func (c *collector) Collect(context.Context) (digest.Collection, error) {
	return digest.Collection{Articles: c.articles, Failures: c.failures}, nil
}

func article(id, source string, published time.Time, title, text string) digest.Article {
	return digest.Article{ID: "https://example.com/" + id, URL: "https://example.com/" + id, Title: title, Text: text, Source: source, Published: published}
}

func newEditor(t *testing.T, c *collector, max int) (*digest.Editor, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &digest.Editor{
		Collector:  c,
		Summarizer: summary.New(summary.Options{}),
		Store:      st,
		Now:        func() time.Time { return testNow },
		Select:     digest.Selection{MaxItems: max, Similarity: summary.Similarity, SameStory: summary.SameStory},
		Overview:   summary.Overview,
	}, st
}

func ids(items []digest.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID[len("https://example.com/"):])
	}
	return out
}

func TestEditorFirstEditionThenOnlyNewArticles(t *testing.T) {
	c := &collector{}
	for i := range 5 {
		c.articles = append(c.articles, article(fmt.Sprintf("a%d", i), "Blog", testNow.Add(-time.Duration(i)*24*time.Hour*30),
			fmt.Sprintf("Story number %d about a different thing %d", i, i*7), fmt.Sprintf("Sentence %d one is here. It has words %d.", i, i)))
	}
	ed, st := newEditor(t, c, 3)
	ctx := context.Background()

	p, err := ed.Daily(ctx, "2026-11-29", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(p.Edition.Items), []string{"a0", "a1", "a2"}; !slices.Equal(got, want) {
		t.Errorf("first edition = %v, want the newest 3 whatever their age: %v", got, want)
	}
	if p.Edition.Items[0].Blurb == nil || p.Edition.Overview == "" {
		t.Errorf("items not summarized or no overview: %+v", p.Edition)
	}
	// The same day again: the frozen edition, unchanged.
	again, err := ed.Daily(ctx, "2026-11-29", false)
	if err != nil || !again.Frozen || !slices.Equal(ids(again.Edition.Items), ids(p.Edition.Items)) {
		t.Fatalf("second Daily: frozen %v, items %v, err %v", again.Frozen, ids(again.Edition.Items), err)
	}
	// The next day: only what no edition had, plus one new article.
	c.articles = append(c.articles, article("new", "Blog", testNow.Add(time.Hour), "A brand new story", "New text."))
	next, err := ed.Daily(ctx, "2026-11-30", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(next.Edition.Items), []string{"new", "a3", "a4"}; !slices.Equal(got, want) {
		t.Errorf("next edition = %v, want %v", got, want)
	}
	// Nothing new at all: an empty edition, not frozen.
	empty, err := ed.Daily(ctx, "2026-12-01", false)
	if err != nil || len(empty.Edition.Items) != 0 {
		t.Fatalf("empty edition: %v, %v", ids(empty.Edition.Items), err)
	}
	if got, _ := st.Edition(ctx, "2026-12-01"); got != nil {
		t.Error("an empty edition was frozen: a later run that day could not send new articles")
	}
}

func TestEditorWindow(t *testing.T) {
	c := &collector{articles: []digest.Article{
		article("fresh", "Blog", testNow.Add(-2*time.Hour), "Fresh", "x."),
		article("stale", "Blog", testNow.Add(-72*time.Hour), "Stale", "y."),
	}}
	ed, _ := newEditor(t, c, 20)
	ed.Select.Window = 24 * time.Hour
	p, err := ed.Daily(context.Background(), "2026-11-29", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p.Edition.Items); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("items = %v, want only the article within the 24h window", got)
	}
}

func TestEditorMergesTheSameStoryFromTwoSources(t *testing.T) {
	story := "The city council voted on Tuesday to close the old Harbour Bridge to cars from March. " +
		"Cyclists and pedestrians will keep using it while engineers repair the corroded steel deck. " +
		"The repairs are expected to cost 14 million pounds and last two years."
	c := &collector{articles: []digest.Article{
		article("times/bridge", "The Times", testNow.Add(-time.Hour), "Harbour Bridge to close to cars", story),
		article("post/bridge", "The Post", testNow.Add(-2*time.Hour), "Council shuts Harbour Bridge to traffic", "Councillors decided on Tuesday: "+story),
		article("post/cats", "The Post", testNow.Add(-3*time.Hour), "Cat show draws record crowd", "More than four thousand visitors came to see the cats at the annual show in the town hall."),
	}}
	ed, st := newEditor(t, c, 20)
	ctx := context.Background()
	p, err := ed.Daily(ctx, "2026-11-29", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p.Edition.Items); !slices.Equal(got, []string{"times/bridge", "post/cats"}) {
		t.Fatalf("items = %v, want the bridge story once and the cats", got)
	}
	if got := p.Edition.Items[0].AlsoIn; !slices.Equal(got, []string{"The Post"}) {
		t.Errorf("AlsoIn = %v, want [The Post]", got)
	}
	// The folded-in article counts as sent: it does not come back tomorrow.
	seen, _ := st.Seen(ctx, []string{"https://example.com/post/bridge"})
	if !seen["https://example.com/post/bridge"] {
		t.Error("the duplicate was not marked seen; it would come back in the next edition")
	}
}

func TestEditorStrictStopsBeforeFreezing(t *testing.T) {
	c := &collector{
		articles: []digest.Article{article("a", "Blog", testNow, "A", "a.")},
		failures: []digest.SourceFailure{{Source: "https://broken.example/feed", Err: "503 Service Unavailable"}},
	}
	ed, st := newEditor(t, c, 20)
	ed.Strict = true
	_, err := ed.Daily(context.Background(), "2026-11-29", false)
	if err == nil {
		t.Fatal("strict Daily with a failing source returned no error")
	}
	if got, _ := st.Edition(context.Background(), "2026-11-29"); got != nil {
		t.Error("strict failure froze the edition anyway")
	}
	ed.Strict = false
	p, err := ed.Daily(context.Background(), "2026-11-29", false)
	if err != nil || len(p.Failures) != 1 || len(p.Edition.Items) != 1 {
		t.Errorf("lenient Daily: %v items, failures %v, err %v; want the article and the failure reported", len(p.Edition.Items), p.Failures, err)
	}
}

func TestEditorWeeklyHoldsTheWeeksItems(t *testing.T) {
	c := &collector{}
	ed, _ := newEditor(t, c, 20)
	ctx := context.Background()
	// Three daily editions: 10 days ago, 3 days ago and today.
	for i, day := range []int{10, 3, 0} {
		now := testNow.Add(-time.Duration(day) * 24 * time.Hour)
		ed.Now = func() time.Time { return now }
		c.articles = []digest.Article{article(fmt.Sprintf("d%d", i), "Blog", now, fmt.Sprintf("Day %d", day), "Text.")}
		if _, err := ed.Daily(ctx, digest.EditionID(now, time.UTC), false); err != nil {
			t.Fatal(err)
		}
	}
	ed.Now = func() time.Time { return testNow }
	w, err := ed.Weekly(ctx, digest.WeeklyEditionID(testNow, time.UTC), false)
	if err != nil {
		t.Fatal(err)
	}
	if w.Edition.ID != "2026-W48" || w.Edition.Cadence != digest.CadenceWeekly {
		t.Errorf("weekly edition %s (%s), want 2026-W48 weekly", w.Edition.ID, w.Edition.Cadence)
	}
	if got := ids(w.Edition.Items); !slices.Equal(got, []string{"d2", "d1"}) {
		t.Errorf("weekly items = %v, want this week's, newest first: [d2 d1]", got)
	}
}
