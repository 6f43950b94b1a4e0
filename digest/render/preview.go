package render

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/digest-newsletter/digest/digest"
)

// WritePreview writes c, a message put together (see Renderer.Render),
// into dir (made if missing) as index.html (the HTML part), message.txt (the
// text part) and subject.txt, for a person to open.
func WritePreview(dir string, c *digest.Compiled) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write preview: %w", err)
	}
	for name, body := range map[string]string{
		"index.html":  c.HTML.String(),
		"message.txt": c.Text.String(),
		"subject.txt": c.Subject.String() + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("write preview: %w", err)
		}
	}
	return nil
}

// PreviewHandler serves a preview of ed: the HTML part beside the text
// part, as any of subs (chosen on the page; the first by default).
//
// Whenever a file in watchDir changes (by modification time and size,
// checked on each request), the templates are loaded again with load and
// the open page reloads itself: it asks /version once a second. A template
// error is shown on the page instead of the message. watchDir may be empty
// (nothing watched) and subs may be empty (an example subscriber is used).
//
// Routes: / (the page; ?w=375 shows the HTML at a phone's width), /html and
// /text (the parts; ?sub=N or ?email=ADDR picks the subscriber), /version
// (changes when the templates do). The page lists the first 200
// subscribers; any other is found by address: among subs, then with find
// (if not nil), which looks it up in the whole list. unsubscribe gives each
// subscriber's unsubscribe URL (nil: none).
//
// view, if not nil, returns the view of the edition a subscriber's message
// is made from, as a run decides it (their cadence's edition, their
// topics), or an error saying why they get none, which the page shows
// instead of a message. Nil: every subscriber gets ed.
func PreviewHandler(load func() (*Renderer, error), ed *digest.Edition, subs []digest.Subscriber, watchDir string,
	unsubscribe func(email string) string, view func(digest.Subscriber) (*digest.Edition, error),
	find func(email string) (digest.Subscriber, error)) http.Handler {
	if len(subs) == 0 {
		subs = []digest.Subscriber{{Email: "reader@example.com", Name: "Example Reader"}}
	}
	p := &preview{load: load, ed: ed, view: view, subs: subs, dir: watchDir, stamp: "-", unsubscribe: unsubscribe, find: find}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.page)
	mux.HandleFunc("GET /html", p.part)
	mux.HandleFunc("GET /text", p.part)
	mux.HandleFunc("GET /version", p.serveVersion)
	return mux
}

// preview is the state behind PreviewHandler.
type preview struct {
	load func() (*Renderer, error)
	ed   *digest.Edition
	view func(digest.Subscriber) (*digest.Edition, error) // nil: ed for all
	find func(email string) (digest.Subscriber, error)    // nil: subs only
	subs []digest.Subscriber
	dir  string
	// unsubscribe returns a subscriber's unsubscribe URL; nil: none.
	unsubscribe func(email string) string

	mu      sync.Mutex
	stamp   string // the watched files' times and sizes at the last load
	version int    // counts loads
	r       *Renderer
	err     error
}

// current loads the templates again if the watched folder changed, and
// returns the renderer (or the load error) and the version.
func (p *preview) current() (*Renderer, int, error) {
	stamp := dirStamp(p.dir)
	p.mu.Lock()
	defer p.mu.Unlock()
	if stamp != p.stamp || (p.r == nil && p.err == nil) {
		p.stamp = stamp
		p.r, p.err = p.load()
		p.version++
	}
	return p.r, p.version, p.err
}

// dirStamp sums up the names, modification times and sizes of the files in
// dir.
func dirStamp(dir string) string {
	if dir == "" {
		return ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s %d %d\n", e.Name(), info.ModTime().UnixNano(), info.Size())
	}
	return b.String()
}

// maxListed is how many subscribers the page's list offers; others are
// found by typing their address.
const maxListed = 200

// subscriber returns the subscriber the request asks for, and their index
// in subs (-1: found by find): by address (?email=), else by position
// (?sub=), else the first. An address that is not found is an error, not
// the first subscriber.
func (p *preview) subscriber(req *http.Request) (digest.Subscriber, int, error) {
	if email := strings.TrimSpace(req.URL.Query().Get("email")); email != "" {
		for i, s := range p.subs {
			if strings.EqualFold(s.Email, email) {
				return s, i, nil
			}
		}
		if p.find == nil {
			return digest.Subscriber{Email: email}, -1, fmt.Errorf("%s is not among the subscribers offered", email)
		}
		sub, err := p.find(email)
		return sub, -1, err
	}
	i, err := strconv.Atoi(req.URL.Query().Get("sub"))
	if err != nil || i < 0 || i >= len(p.subs) {
		i = 0
	}
	return p.subs[i], i, nil
}

// shown is a message as the preview shows it.
type shown struct{ Subject, Text, HTML string }

func (p *preview) render(req *http.Request) (shown, int, error) {
	r, v, err := p.current()
	if err != nil {
		return shown{}, v, err
	}
	sub, _, err := p.subscriber(req)
	if err != nil {
		return shown{}, v, err
	}
	ed := p.ed
	if p.view != nil {
		if ed, err = p.view(sub); err != nil {
			return shown{}, v, err
		}
	}
	var u string
	if p.unsubscribe != nil {
		u = p.unsubscribe(sub.Email)
	}
	c, err := r.Render(ed, sub, u)
	if err != nil {
		return shown{}, v, err
	}
	return shown{c.Subject.String(), c.Text.String(), c.HTML.String()}, v, nil
}

func (p *preview) serveVersion(w http.ResponseWriter, req *http.Request) {
	_, v, _ := p.current()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, v)
}

func (p *preview) part(w http.ResponseWriter, req *http.Request) {
	c, _, err := p.render(req)
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if req.URL.Path == "/text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, c.Text)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The message shows in a sandboxed frame: no scripts, no forms.
	w.Header().Set("Content-Security-Policy", "script-src 'none'; form-action 'none'")
	fmt.Fprint(w, c.HTML)
}

func (p *preview) page(w http.ResponseWriter, req *http.Request) {
	c, v, err := p.render(req)
	width := 640
	if req.URL.Query().Get("w") == "375" {
		width = 375
	}
	subs := p.subs[:min(len(p.subs), maxListed)]
	data := struct {
		Content shown
		Err     error
		Version int
		Sub     int    // the index of the subscriber in Subs; -1: found by address
		Pick    string // the HTML part's path, for the subscriber
		Subs    []digest.Subscriber
		More    int
		Edition string
		Width   int
	}{Content: c, Err: err, Version: v, Subs: subs, More: len(p.subs) - len(subs), Edition: p.ed.ID, Width: width}
	sub, i, _ := p.subscriber(req)
	data.Sub, data.Pick = i, "/html?sub="+strconv.Itoa(i)
	if i < 0 {
		data.Pick = "/html?email=" + url.QueryEscape(sub.Email)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := previewPage.Execute(w, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// previewPage is the preview's page. Templates are safe for concurrent use.
var previewPage = template.Must(template.New("preview").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Preview: {{ .Content.Subject }}</title>
<style>
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #f4f5f7; color: #1f2328; }
header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #d8dee4; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; }
main { display: flex; gap: 16px; padding: 16px; align-items: flex-start; flex-wrap: wrap; }
iframe { height: 85vh; border: 1px solid #d8dee4; background: #fff; }
pre { width: 80ch; max-height: 85vh; overflow: auto; margin: 0; padding: 12px; background: #fff; border: 1px solid #d8dee4; }
.error { margin: 16px; padding: 12px; background: #fff0f0; border: 1px solid #e5a0a0; white-space: pre-wrap; font-family: monospace; }
</style></head>
<body data-version="{{ .Version }}">
<header>
<h1 id="subject">{{ .Content.Subject }}</h1>
<form method="get" action="/"><label>Render for
<select name="sub" onchange="this.form.submit()">
{{- range $i, $s := .Subs }}
<option value="{{ $i }}"{{ if eq $i $.Sub }} selected{{ end }}>{{ $s.Email }}{{ with $s.Name }} ({{ . }}){{ end }}</option>
{{- end }}
</select></label>
{{- if .More }} or <input name="email" type="email" placeholder="any address ({{ .More }} more)">{{ end }}
<label><input type="radio" name="w" value="640"{{ if ne .Width 375 }} checked{{ end }} onchange="this.form.submit()"> desktop</label>
<label><input type="radio" name="w" value="375"{{ if eq .Width 375 }} checked{{ end }} onchange="this.form.submit()"> phone</label>
<button>Show</button></form>
<span>edition {{ .Edition }}</span>
</header>
{{ if .Err }}<div class="error" id="error">{{ .Err }}</div>
{{ else }}<main>
<iframe title="HTML part" sandbox src="{{ .Pick }}" style="width: {{ .Width }}px"></iframe>
<pre id="text">{{ .Content.Text }}</pre>
</main>{{ end }}
<script>
(function () {
  var v = document.body.dataset.version;
  setInterval(function () {
    fetch("/version", {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (t) {
      if (t !== v) { location.reload(); }
    }).catch(function () {});
  }, 1000);
})();
</script>
</body></html>
`))
