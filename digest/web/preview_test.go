package web

import (
	"errors"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/templates"
)

// TestSignupPreviewReloads edits a copied template while the preview
// serves it: the page shows the edit, the version changes, and a broken
// template shows its file and line.
func TestSignupPreviewReloads(t *testing.T) {
	dir := t.TempDir()
	src, _ := fs.ReadFile(templates.FS(), templates.Subscribe)
	file := filepath.Join(dir, templates.Subscribe)
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(SignupPreview(dir, "Bird Notes"))
	defer srv.Close()
	_, body := get(t, srv.URL+"/signup/form")
	if !strings.Contains(body, "Subscribe to Bird Notes") || !strings.Contains(body, `name="website"`) {
		t.Fatalf("form preview:\n%s", body)
	}
	for _, p := range []string{"/signup/", "/signup/sent", "/signup/confirm", "/signup/mail.html", "/signup/mail.txt"} {
		if resp, body := get(t, srv.URL+p); resp.StatusCode != 200 || !strings.Contains(body, "Bird Notes") && p != "/signup/" {
			t.Errorf("GET %s = %d:\n%s", p, resp.StatusCode, body)
		}
	}
	_, v1 := get(t, srv.URL+"/signup/version")

	edited := strings.Replace(string(src), "<h1>{{ .Title }}</h1>", "<h1>{{ .Title }}!!</h1>", 1)
	os.WriteFile(file, []byte(edited), 0o644)
	os.Chtimes(file, time.Now().Add(time.Second), time.Now().Add(time.Second))
	if _, v2 := get(t, srv.URL+"/signup/version"); v2 == v1 {
		t.Errorf("version did not change after an edit: %q", v2)
	}
	if _, body := get(t, srv.URL+"/signup/form"); !strings.Contains(body, "Subscribe to Bird Notes!!") {
		t.Errorf("the edit is not shown:\n%s", body)
	}

	os.WriteFile(file, []byte("<p>\n{{ .Nope }}\n"), 0o644)
	resp, body := get(t, srv.URL+"/signup/form")
	if resp.StatusCode != 422 || !strings.Contains(body, file+":2:") || !strings.Contains(body, "Nope") {
		t.Errorf("broken template: %d\n%s", resp.StatusCode, body)
	}
	_, err := LoadSignupPages(dir)
	var ie *digest.InputError
	if !errors.As(err, &ie) || ie.File != file || ie.Line != 2 {
		t.Errorf("LoadSignupPages = %v, want an InputError at %s:2", err, file)
	}
}
