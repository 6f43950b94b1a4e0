package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/digest-newsletter/digest/templates"
)

// SignupPreview serves the sign-up templates of dir (the defaults for
// files missing there) with sample data, for `digest preview --serve`,
// under /signup/: an index showing the form, the page after it, the
// confirmation page and the confirmation mail (HTML and text), and each of
// them alone (/signup/form, /signup/sent, /signup/confirm,
// /signup/mail.html, /signup/mail.txt). The templates are read again on
// every request; the index reloads itself when a file of dir changes (it
// asks /signup/version once a second). A template error is shown instead
// of the page. name is the newsletter's name.
func SignupPreview(dir, name string) http.Handler {
	mux := http.NewServeMux()
	sample := func() Samples {
		s := SamplePages()
		s.Form.Name, s.Confirm.Name, s.Mail.Name = name, name, name
		s.Form.Title = "Subscribe to " + name
		s.Confirm.Message = "Send " + name + " to reader@example.com?"
		return s
	}
	show := func(w http.ResponseWriter, contentType string, render func(p *SignupPages, s Samples, b *bytes.Buffer) error) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := LoadSignupPages(dir)
		var b bytes.Buffer
		if err == nil {
			err = render(p, sample(), &b)
		}
		if err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprintf(w, "template error:\n%v\n", err)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(b.Bytes())
	}
	const html, text = "text/html; charset=utf-8", "text/plain; charset=utf-8"
	mux.HandleFunc("GET /signup/form", func(w http.ResponseWriter, r *http.Request) {
		show(w, html, func(p *SignupPages, s Samples, b *bytes.Buffer) error { return p.Form(b, s.Form) })
	})
	mux.HandleFunc("GET /signup/sent", func(w http.ResponseWriter, r *http.Request) {
		show(w, html, func(p *SignupPages, s Samples, b *bytes.Buffer) error {
			s.Form.Sent, s.Form.Title = true, "Check your inbox"
			return p.Form(b, s.Form)
		})
	})
	mux.HandleFunc("GET /signup/confirm", func(w http.ResponseWriter, r *http.Request) {
		show(w, html, func(p *SignupPages, s Samples, b *bytes.Buffer) error { return p.Confirm(b, s.Confirm) })
	})
	mux.HandleFunc("GET /signup/mail.html", func(w http.ResponseWriter, r *http.Request) {
		show(w, html, func(p *SignupPages, s Samples, b *bytes.Buffer) error {
			_, _, h, err := p.Mail(s.Mail)
			b.WriteString(h)
			return err
		})
	})
	mux.HandleFunc("GET /signup/mail.txt", func(w http.ResponseWriter, r *http.Request) {
		show(w, text, func(p *SignupPages, s Samples, b *bytes.Buffer) error {
			subject, t, _, err := p.Mail(s.Mail)
			fmt.Fprintf(b, "Subject: %s\n\n%s", subject, t)
			return err
		})
	})
	mux.HandleFunc("GET /signup/version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(signupStamp(dir)))
	})
	mux.HandleFunc("GET /signup/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", html)
		w.Header().Set("Cache-Control", "no-store")
		previewIndex.Execute(w, signupStamp(dir))
	})
	return mux
}

// signupStamp changes when a sign-up template file in dir changes.
func signupStamp(dir string) string {
	if dir == "" {
		return "-"
	}
	var b strings.Builder
	for _, name := range templates.SignupNames() {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", name, fi.ModTime().UnixNano(), fi.Size())
		}
	}
	return b.String()
}

var previewIndex = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sign-up pages: preview</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 1em; }
section { margin: 0 0 2em; }
h2 { font-size: 1em; margin: 0 0 .4em; }
iframe { width: 100%; height: 34em; border: 1px solid #ccc; }
.pair { display: flex; gap: 1em; }
.pair section { flex: 1; }
</style>
</head>
<body>
<h1>Sign-up pages</h1>
<div class="pair">
<section><h2><a href="form">the form</a></h2><iframe src="form"></iframe></section>
<section><h2><a href="sent">after sending it</a></h2><iframe src="sent"></iframe></section>
</div>
<div class="pair">
<section><h2><a href="confirm">the confirmation link's page</a></h2><iframe src="confirm"></iframe></section>
<section><h2><a href="mail.html">the confirmation mail</a> (<a href="mail.txt">text</a>)</h2><iframe src="mail.html"></iframe></section>
</div>
<section><h2>the mail's text part</h2><iframe src="mail.txt" style="height: 18em"></iframe></section>
<script>
const stamp = {{ . }};
setInterval(async () => {
  try {
    const r = await fetch("version", {cache: "no-store"});
    if ((await r.text()) !== stamp) location.reload();
  } catch (e) {}
}, 1000);
</script>
</body>
</html>
`))
