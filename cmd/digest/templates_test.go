package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/templates"
)

func runTemplates(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), environ: nil}
	code = Main(context.Background(), e, append([]string{"templates"}, args...))
	return code, out.String(), errb.String()
}

func TestTemplatesInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tpl")
	code, _, stderr := runTemplates(t, "init", dir)
	if code != exitOK {
		t.Fatalf("templates init: exit %d, stderr %q", code, stderr)
	}
	for _, name := range []string{templates.Subject, templates.HTML, templates.Text, templates.Readme} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s not written: %v", name, err)
		}
		want, _ := fs.ReadFile(templates.FS(), name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the embedded default", name)
		}
	}
	// The written folder is usable as Options.Dir.
	r, err := render.New(render.Options{Dir: dir, Name: "The Digest"})
	if err != nil {
		t.Fatalf("render.New on the written folder: %v", err)
	}
	if got, want := r.Files()[1], filepath.Join(dir, templates.HTML); got != want {
		t.Errorf("HTML template in use = %q, want %q", got, want)
	}
}

func TestTemplatesInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, templates.HTML)
	if err := os.WriteFile(mine, []byte("my edits"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runTemplates(t, "init", dir)
	if code != exitUsage {
		t.Errorf("exit = %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr, mine) || !strings.Contains(stderr, "--force") {
		t.Errorf("stderr = %q, want it to name %s and --force", stderr, mine)
	}
	if b, _ := os.ReadFile(mine); string(b) != "my edits" {
		t.Errorf("existing file changed to %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, templates.Text)); err == nil {
		t.Errorf("a refused init wrote %s anyway", templates.Text)
	}

	code, _, stderr = runTemplates(t, "init", dir, "--force")
	if code != exitOK {
		t.Fatalf("init --force: exit %d, stderr %q", code, stderr)
	}
	want, _ := fs.ReadFile(templates.FS(), templates.HTML)
	if b, _ := os.ReadFile(mine); !bytes.Equal(b, want) {
		t.Errorf("--force did not overwrite %s", mine)
	}
}

func TestTemplatesUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no args", nil, exitUsage},
		{"no dir", []string{"init"}, exitUsage},
		{"unknown verb", []string{"list", "x"}, exitUsage},
		{"two dirs", []string{"init", "a", "b"}, exitUsage},
		{"bad flag", []string{"init", "--nope", "x"}, exitUsage},
		{"help", []string{"-h"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _, _ := runTemplates(t, tt.args...); got != tt.want {
				t.Errorf("exit = %d, want %d", got, tt.want)
			}
		})
	}
}
