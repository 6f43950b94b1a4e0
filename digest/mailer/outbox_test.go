package mailer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		filepath.Join("2026-11-29", "bo%2fx@example.net.eml"),
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

func TestFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ana@example.org", "ana@example.org"},
		{"Ana+News@Example.ORG", "ana+news@example.org"},
		{"o'neil_x-y@example.org", "o%27neil_x-y@example.org"},
		{"../../etc/passwd", "%2e.%2f..%2fetc%2fpasswd"},
		{".hidden@example.org", "%2ehidden@example.org"},
		{"", "_"},
		{"a b\x00c@d", "a%20b%00c@d"},
		{"müller@example.de", "m%c3%bcller@example.de"},
		{"100%@example.org", "100%25@example.org"},
		{"2026-11-29", "2026-11-29"},
	}
	for _, tt := range tests {
		if got := fileName(tt.in); got != tt.want {
			t.Errorf("fileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// outboxFiles returns the files under dir, relative to it.
func outboxFiles(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Distinct addresses that a name made by replacing bytes with '_' and
// cutting at 200 bytes merged into four files: each gets its own file,
// holding its own message.
func TestOutboxDistinctAddressesDistinctFiles(t *testing.T) {
	long := strings.Repeat("x", 63) + "@" + strings.Repeat("sub.", 40) + "example"
	addrs := []string{
		"jörg@example.de", "jürg@example.de", // one non-ASCII letter each
		"zoë@example.org", "zoé@example.org",
		long + ".com", long + ".org", // alike in their first 200 bytes
		"a/b@example.org", "a_b@example.org", // "/" became "_"
	}
	dir := t.TempDir()
	c, _ := NewOutbox(dir).Open(context.Background())
	for i, to := range addrs {
		m := testMessage(to)
		m.MessageID = fmt.Sprintf("2026-11-29.%d@example.com", i)
		if _, err := c.Send(context.Background(), m); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
	files := outboxFiles(t, dir)
	if len(files) != len(addrs) {
		t.Fatalf("%d files for %d addresses: %q", len(files), len(addrs), files)
	}
	for i, to := range addrs {
		p := NewOutbox(dir).Path(&digest.Message{Edition: "2026-11-29", To: to})
		if n := len(filepath.Base(p)); n > 255 {
			t.Errorf("%s: file name of %d bytes", to, n)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := parse(t, data).header.Get("Message-ID"), fmt.Sprintf("<2026-11-29.%d@example.com>", i); got != want {
			t.Errorf("%s: file %s holds Message-ID %s, want %s", to, p, got, want)
		}
	}
}

// A file already under the name that holds another message is never
// overwritten: the send fails for good and says why.
func TestOutboxNeverOverwritesAnotherMessage(t *testing.T) {
	dir := t.TempDir()
	o := NewOutbox(dir)
	c, _ := o.Open(context.Background())
	m := testMessage("ana@example.org")
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(o.Path(m))
	l := testLetter("ana@example.org")
	l.MessageID = "2026-11-29.other@example.com"
	l.Subject = "Another message"
	other := mustMessage(t, l)
	_, err := c.Send(context.Background(), other)
	if !digest.IsPermanent(err) || !strings.Contains(err.Error(), "already holds another message") {
		t.Errorf("got %v, want a permanent error saying the name is taken", err)
	}
	after, _ := os.ReadFile(o.Path(m))
	if !bytes.Equal(before, after) {
		t.Errorf("the file was overwritten")
	}
	if files := outboxFiles(t, dir); len(files) != 1 {
		t.Errorf("files %q, want one (no temporary file left)", files)
	}
}
