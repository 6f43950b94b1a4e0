package main

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
)

// TestSendTestMarksItsSubjectAndMailsEveryTo: over SMTP, send-test mails
// each --to address once, and each subject says it is a test (issue 14).
func TestSendTestMarksItsSubjectAndMailsEveryTo(t *testing.T) {
	for _, tt := range []struct {
		name   string
		extra  []string
		prefix string
	}{
		{"the default marker", nil, "[TEST] "},
		{"a marker of one's own", []string{"DIGEST_TEST_SUBJECT_PREFIX=(proof) "}, "(proof) "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := mailertest.NewServer(t)
			environ := append([]string{
				"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
				"DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
				"DIGEST_SOURCES=../../examples/sources.txt",
				"DIGEST_EDITION=2026-11-29",
				"DIGEST_SMTP_URL=" + srv.URL(),
				"DIGEST_FROM=The Digest <digest@example.org>",
				"DIGEST_TIMEZONE=UTC",
			}, tt.extra...)
			var out bytes.Buffer
			code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: environ},
				[]string{"send-test", "--to", "me@example.net", "--to", "you@example.org,editor@example.com"})
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out.String())
			}
			var got []string
			for _, m := range srv.Messages() {
				got = append(got, m.To...)
				msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
				if err != nil {
					t.Fatal(err)
				}
				subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(subject, tt.prefix+"The Digest — 29 November 2026") {
					t.Errorf("subject to %v: %q, want it to start with %q", m.To, subject, tt.prefix)
				}
			}
			slices.Sort(got)
			if want := []string{"editor@example.com", "me@example.net", "you@example.org"}; !slices.Equal(got, want) {
				t.Errorf("mailed %v, want %v", got, want)
			}
			if n := strings.Count(out.String(), "sent edition 2026-11-29 (11 items) to "); n != 3 {
				t.Errorf("%d lines say sent, want 3:\n%s", n, out.String())
			}
		})
	}
}
