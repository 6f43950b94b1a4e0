package mailer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

func TestOutbox(t *testing.T) {
	dir := t.TempDir()
	o := NewOutbox(dir)
	if got, want := o.Channel(), "outbox"; got != want {
		t.Errorf("Channel() = %q, want %q", got, want)
	}
	c, err := o.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, to := range []string{"ana@example.org", "Bo/x@Example.NET", "ana@example.org"} {
		if _, err := c.Send(context.Background(), testMessage(to)); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
	var got []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, rel)
		}
		return err
	})
	want := []string{
		filepath.Join("2026-11-29", "ana@example.org.eml"),
		filepath.Join("2026-11-29", "bo_x@example.net.eml"),
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("files %v, want %v (and no temporary files)", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, data)
	if got, want := p.header.Get("Message-ID"), "<2026-11-29.abc123@example.com>"; got != want {
		t.Errorf("Message-ID %q, want %q", got, want)
	}
	if len(p.types) != 2 {
		t.Errorf("parts %v, want text and HTML", p.types)
	}
}

func TestOutboxRefusesBadMessage(t *testing.T) {
	c, _ := NewOutbox(t.TempDir()).Open(context.Background())
	m := testMessage("not an address")
	_, err := c.Send(context.Background(), m)
	if !digest.IsPermanent(err) {
		t.Errorf("got %v, want a permanent SendError", err)
	}
}

func TestSafeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ana@example.org", "ana@example.org"},
		{"Ana+News@Example.ORG", "ana+news@example.org"},
		{"../../etc/passwd", "_.._.._etc_passwd"},
		{".hidden@example.org", "_.hidden@example.org"},
		{"", "_"},
		{"a b\x00c@d", "a_b_c@d"},
		{"2026-11-29", "2026-11-29"},
	}
	for _, tt := range tests {
		if got := safeName(tt.in); got != tt.want {
			t.Errorf("safeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
