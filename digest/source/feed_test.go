package source

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/digest-newsletter/digest/digest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedNow is the clock of the tests: a Sunday noon at the end of November.
var fixedNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// TestFeedFixtures collects each feed file of testdata/feeds as a source
// and compares the collection with its golden file.
func TestFeedFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/feeds/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, ".golden") {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			spec := Spec{Location: filepath.Base(file), Path: file, Kind: KindFeed, Tags: []string{"fixture"}}
			c := NewFromSpecs(Config{Now: func() time.Time { return fixedNow }, Cache: newMemCache()}, []Spec{spec})
			col, err := c.Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(col, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := file + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("collection differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestFeedDetails checks, beyond the golden files, the points a reader of a
// digest would notice.
func TestFeedDetails(t *testing.T) {
	collect := func(t *testing.T, file string) digest.Collection {
		t.Helper()
		spec := Spec{Location: file, Path: filepath.Join("testdata/feeds", file), Kind: KindFeed}
		c := NewFromSpecs(Config{Now: func() time.Time { return fixedNow }}, []Spec{spec})
		col, err := c.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return col
	}
	find := func(t *testing.T, col digest.Collection, title string) digest.Article {
		t.Helper()
		for _, a := range col.Articles {
			if a.Title == title {
				return a
			}
		}
		var titles []string
		for _, a := range col.Articles {
			titles = append(titles, a.Title)
		}
		t.Fatalf("no article %q among %q", title, titles)
		return digest.Article{}
	}
	tests := []struct {
		name, file, title string
		check             func(t *testing.T, a digest.Article)
	}{
		{"html in title stripped, entities decoded", "rss2-messy.xml", "Ferry timetable changes & what they mean", func(t *testing.T, a digest.Article) {
			if got, want := a.URL, "https://harbour.example.org/news/ferry-timetable"; got != want {
				t.Errorf("relative link with tracking: URL = %q, want %q", got, want)
			}
			if got, want := a.Text, "From Monday the 07:40 sailing moves to 07:55. Read the FAQ for the rest."; got != want {
				t.Errorf("text = %q, want %q (the script left out)", got, want)
			}
			if got, want := a.Tags, []string{"transport", "ferries", "harbour"}; !cmp.Equal(got, want) {
				t.Errorf("tags = %q, want %q", got, want)
			}
			if !a.Published.Equal(fixedNow) {
				t.Errorf("undated item: published = %v, want first seen %v", a.Published, fixedNow)
			}
		}},
		{"future date clamped", "rss2-messy.xml", "Lifeboat launch at dawn", func(t *testing.T, a digest.Article) {
			if !a.Published.Equal(fixedNow) {
				t.Errorf("published = %v, want now %v", a.Published, fixedNow)
			}
			if got, want := a.ID, "https://harbour.example.org/news/lifeboat"; got != want {
				t.Errorf("ID = %q, want %q", got, want)
			}
		}},
		{"time zone kept", "rss2-messy.xml", "Tide tables for December", func(t *testing.T, a digest.Article) {
			if _, off := a.Published.Zone(); off != 3600 {
				t.Errorf("published = %v, want the +0100 offset kept", a.Published)
			}
			if got, want := a.URL, "https://harbour.example.org/news/tides-december"; got != want {
				t.Errorf("URL = %q, want %q", got, want)
			}
		}},
		{"latin-1", "rss091-latin1.xml", "Crème brûlée returns", func(t *testing.T, a digest.Article) {
			if got := a.Text; !strings.Contains(got, "pâtissier") || !strings.Contains(got, "£4.50") {
				t.Errorf("text = %q", got)
			}
			if got, want := a.Source, "Café Crème"; got != want {
				t.Errorf("source = %q, want %q", got, want)
			}
		}},
		{"windows-1252 declared", "rss2-windows1252.xml", "“Smart” quotes – and dashes", func(t *testing.T, a digest.Article) {
			if got := a.Text; !strings.Contains(got, "€") {
				t.Errorf("text = %q, want the euro sign", got)
			}
		}},
		{"windows-1252 undeclared", "rss2-undeclared-1252.xml", "It’s 8-bit", nil},
		{"atom html title and relative link", "atom10.xml", "Sharpening chisels by hand", func(t *testing.T, a digest.Article) {
			if got, want := a.URL, "https://blog.example.com/2026/11/sharpening"; got != want {
				t.Errorf("URL = %q, want %q", got, want)
			}
			if got, want := a.Author, "Ilse Varga"; got != want {
				t.Errorf("author = %q, want the feed's author %q", got, want)
			}
			if got, want := a.Published, time.Date(2026, 11, 28, 9, 15, 0, 0, time.FixedZone("", 2*3600)); !got.Equal(want) {
				t.Errorf("published = %v, want %v", got, want)
			}
		}},
		{"atom updated only", "atom10.xml", "Only updated, never published", func(t *testing.T, a digest.Article) {
			if got, want := a.Published, time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC); !got.Equal(want) {
				t.Errorf("published = %v, want %v", got, want)
			}
		}},
		{"atom 0.3", "atom03.xml", "Still on Atom 0.3 after all these years", nil},
		{"rss 1.0", "rss10-rdf.xml", "Soil microbes and drought", func(t *testing.T, a digest.Article) {
			if got, want := a.Author, "Dr. Oona Lind"; got != want {
				t.Errorf("author = %q, want %q", got, want)
			}
		}},
		{"enclosure as link", "podcast-enclosures.xml", "Episode 41: Winter Greens", func(t *testing.T, a digest.Article) {
			if got, want := a.URL, "https://cdn.podcast.example.com/ktt-041.mp3"; got != want {
				t.Errorf("URL = %q, want %q", got, want)
			}
		}},
		{"json feed", "jsonfeed11.json", "Putting the garden to bed", func(t *testing.T, a digest.Article) {
			if got, want := a.Tags, []string{"garden", "autumn"}; !cmp.Equal(got, want) {
				t.Errorf("tags = %q, want %q", got, want)
			}
		}},
		{"json feed untitled", "jsonfeed11.json", "A note without a title or a URL: the first frost came…", func(t *testing.T, a digest.Article) {
			if !strings.HasPrefix(a.ID, "urn:digest:") {
				t.Errorf("ID = %q, want a local ID", a.ID)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := find(t, collect(t, tt.file), tt.title)
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}

	t.Run("duplicate guids", func(t *testing.T) {
		col := collect(t, "duplicate-guids.xml")
		var got []string
		for _, a := range col.Articles {
			got = append(got, a.Title)
		}
		// The second item is the first story again (same canonical URL);
		// the third shares the GUID but is a story of its own.
		want := []string{"First story", "Second story"}
		if !cmp.Equal(got, want) {
			t.Errorf("titles = %q, want %q", got, want)
		}
	})
	t.Run("not a feed", func(t *testing.T) {
		for _, f := range []string{"not-a-feed.html", "broken.xml"} {
			col := collect(t, f)
			if len(col.Articles) != 0 || len(col.Failures) != 1 {
				t.Errorf("%s: %d articles, failures %v; want one failure", f, len(col.Articles), col.Failures)
			}
		}
	})
}
