package render

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

// Pieces of templates the property test puts together at random: each
// reads the subscriber's values in one of the ways templates do. Text
// pieces go into the subject and text templates, HTML pieces into the HTML
// one; both kinds may call the templates that every generated file defines
// (see propertyDefines).
var (
	propertyText = []string{
		`Plain words & <signs> "quoted" 'single' `,
		`{{ .Subscriber.Name }}`,
		` {{ .Subscriber.Email }} `,
		`{{ .Subscriber.Cadence }}`,
		`{{ .Subscriber.Attrs.company }}`,
		`{{ with .Subscriber.Name }}Dear {{ . }},{{ else }}Hello,{{ end }}`,
		`{{ if .Subscriber.Attrs.city }}in {{ .Subscriber.Attrs.city }}{{ end }}`,
		`{{ with .Subscriber }}{{ .Name }} <{{ .Email }}>{{ end }}`,
		`{{ range .Items }}[{{ .Title }} for {{ $.Subscriber.Name }}]{{ end }}`,
		`{{ template "who" . }}`,
		`{{ template "sub" .Subscriber }}`,
		`{{ template "attrs" .Subscriber.Attrs }}`,
		`{{ with .UnsubscribeURL }}stop: {{ . }}{{ end }}`,
		`{{ $.Name }} {{ .Date }}`,
	}
	// Uses no slot stands for: the message is compiled alone.
	propertyTextAlone = []string{
		`{{ range $k, $v := .Subscriber.Attrs }}{{ $k }}={{ $v }};{{ end }}`,
		`{{ if eq .Subscriber.Name "Dana" }}Dana!{{ end }}`,
		`{{ .Subscriber.Name | upper }}`,
		`{{ printf "%.4s" .Subscriber.Email }}`,
		`{{ range .Subscriber.Topics }}#{{ . }}{{ end }}`,
	}
	propertyHTML = []string{
		`<p>Plain words &amp; signs</p>`,
		`<p>{{ .Subscriber.Name }}</p>`,
		`<p title="{{ .Subscriber.Name }}">{{ .Subscriber.Email }}</p>`,
		`<h1>{{ .Subject }}</h1>`,
		`{{ if .Subject }}<p>{{ .Subject }}</p>{{ else }}<p>none</p>{{ end }}`,
		`<a href="{{ .UnsubscribeURL }}">Unsubscribe</a>`,
		`{{ with .UnsubscribeURL }}<a href="{{ . }}">stop</a>{{ end }}`,
		`<p>{{ .Subscriber.Attrs.company }}</p>`,
		`{{ with .Subscriber.Name }}<p class="hi">Dear {{ . }}</p>{{ else }}<p>Hello</p>{{ end }}`,
		`{{ if .Subscriber.Attrs.city }}<p>in {{ .Subscriber.Attrs.city }}</p>{{ end }}`,
		`{{ range .Items }}<p>{{ .Title }}, {{ $.Subscriber.Name }}</p>{{ end }}`,
		`<p>{{ template "who" . }}</p>`,
		`<p>{{ template "sub" .Subscriber }}</p>`,
		`<p>{{ template "attrs" .Subscriber.Attrs }}</p>`,
		`<p>{{ .Subscriber.Status }} {{ .Subscriber.Timezone }}</p>`,
	}
	propertyHTMLAlone = []string{
		`<p>{{ range $k, $v := .Subscriber.Attrs }}{{ $k }}={{ $v }} {{ end }}</p>`,
		`<a href="mailto:{{ .Subscriber.Email }}">mail</a>`,
		`<p>{{ len .Subscriber.Name }}</p>`,
	}
	// propertyDefines are the templates the pieces call, with $ and dot
	// bound to what the call passes.
	propertyDefines = `{{ define "who" }}{{ $.Subscriber.Name }}/{{ .Subscriber.Email }}{{ end }}` +
		`{{ define "sub" }}{{ .Name }}{{ with $.Attrs.company }} of {{ . }}{{ end }}{{ end }}` +
		`{{ define "attrs" }}{{ .company }}{{ end }}`
)

// propertyNames are names and other values the subscribers draw from:
// empty, escaped in HTML, folded on one line, not ASCII, a line break.
var propertyNames = []string{"", "Ada Lovelace", "Dana", `Bob "B" O'Neil & <Co>`, "ünïcødé € 日本語", "  spaced  out ",
	"Eve\r\nBcc: x", "a+b=c?d", "R&D <Labs>", "x"}

// randomTemplate puts n pieces of pool together, now and then one of
// alone.
func randomTemplate(rng *rand.Rand, pool, alone []string, n int) string {
	var b strings.Builder
	b.WriteString(propertyDefines)
	for range n {
		if rng.IntN(20) == 0 {
			b.WriteString(alone[rng.IntN(len(alone))])
		} else {
			b.WriteString(pool[rng.IntN(len(pool))])
		}
		if rng.IntN(3) == 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// randomSubscriber draws a subscriber; an attribute may be missing from
// their row.
func randomSubscriber(rng *rand.Rand, i int) digest.Subscriber {
	pick := func() string { return propertyNames[rng.IntN(len(propertyNames))] }
	sub := digest.Subscriber{
		Email:    []string{"ada@example.org", "bob+news@example.com", "c@example.com", "dana@example.net"}[i%4],
		Name:     pick(),
		Status:   []string{"", "active"}[rng.IntN(2)],
		Cadence:  []string{"", "daily", "weekly"}[rng.IntN(3)],
		Timezone: []string{"", "Europe/Berlin"}[rng.IntN(2)],
		Topics:   [][]string{nil, {"go"}, {"go", "rust"}}[rng.IntN(3)],
		Attrs:    map[string]string{"company": pick()},
	}
	if rng.IntN(4) > 0 {
		sub.Attrs["city"] = pick()
	}
	return sub
}

// TestCompiledIsTheSubscribersOwn is the property that keeps subscribers'
// values apart: for random templates (template calls, $, with and range
// over the subscriber's values, in text and HTML) and random subscribers,
// a message made from a compiled view shared with others of its variant is
// byte for byte the message the templates give when run afresh for that
// subscriber alone.
func TestCompiledIsTheSubscribersOwn(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 13))
	rounds := 100
	if testing.Short() {
		rounds = 20
	}
	shared := 0
	for round := range rounds {
		subject := randomTemplate(rng, propertyText, propertyTextAlone, 1+rng.IntN(3))
		text := randomTemplate(rng, propertyText, propertyTextAlone, 1+rng.IntN(6))
		html := `<!DOCTYPE html><html><head><title>{{ .Subject }}</title><style>p { color: red; } .hi { font-weight: bold; }</style></head><body>` +
			randomTemplate(rng, propertyHTML, propertyHTMLAlone, 1+rng.IntN(6)) + `</body></html>`
		r := shapeRenderer(t, subject, html, text)
		if r.shared {
			shared++
		}
		subs := make([]digest.Subscriber, 12)
		for i := range subs {
			subs[i] = randomSubscriber(rng, i)
		}
		if t.Failed() {
			break
		}
		t.Run("", func(t *testing.T) {
			checkCompiled(t, r, testEdition(2+round%3), subs)
			if t.Failed() {
				t.Logf("subject template:\n%s\ntext template:\n%s\nHTML template:\n%s", subject, text, html)
			}
		})
	}
	t.Logf("%d of %d template sets compiled with slots", shared, rounds)
	if shared < rounds/4 {
		t.Errorf("only %d of %d template sets compiled with slots: the property hardly tests sharing", shared, rounds)
	}
}
