//go:build e2e

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestMailpitBounce is the list cleaning itself, end to end: an edition
// delivered through mailpit, the Return-Path of one delivered message
// taken from mailpit's API, a delivery status notification for it dropped
// into a Maildir, digest bounces, and the next edition mailed to every
// subscriber but that one.
func TestMailpitBounce(t *testing.T) {
	m := newMailpit(t)
	dir := t.TempDir()
	news := filepath.Join(dir, "news")
	os.MkdirAll(news, 0o755)
	article := func(name, title, date string) {
		b := fmt.Sprintf("---\ntitle: %s\ndate: %s\nurl: https://example.com/%s\n---\n\n"+
			"The story of %s has a few plain sentences. It says little. It ends here.\n", title, date, name, title)
		if err := os.WriteFile(filepath.Join(news, name+".md"), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	article("first", "A First Story", "2026-11-28T08:00:00Z")
	os.WriteFile(filepath.Join(dir, "sources.txt"), []byte("news name=News\n"), 0o644)
	list := filepath.Join(dir, "subscribers.csv")
	os.WriteFile(list, []byte("email,name\nann@example.net,Ann\nbob@example.net,Bob\ncarol@example.net,Carol\ndave@example.net,Dave\n"), 0o644)
	env := append(baseEnv(t, m), "DIGEST_SOURCES="+filepath.Join(dir, "sources.txt"), "DIGEST_SUBSCRIBERS="+list,
		"DIGEST_FROM=The Digest <digest@example.org>", "DIGEST_BOUNCE_ADDRESS=bounces@example.org",
		"DIGEST_SECRET=e2e-secret-of-at-least-32-bytes-long")

	code, out := m.runDigest(env, "run", "--edition", "2026-11-29")
	if code != 0 {
		t.Fatalf("first edition: exit %d\n%s", code, out)
	}
	first := m.messages()
	if len(first) != 4 {
		t.Fatalf("mailpit has %d messages, want 4", len(first))
	}

	// The Return-Path of bob's message, as delivered.
	var bob mailSummary
	for _, s := range first {
		if len(s.To) == 1 && s.To[0].Address == "bob@example.net" {
			bob = s
		}
	}
	var msg struct{ ReturnPath, MessageID string }
	m.do(http.MethodGet, "/api/v1/message/"+bob.ID, nil, &msg)
	if msg.ReturnPath == "" {
		t.Fatalf("mailpit shows no Return-Path for bob's message")
	}
	fmt.Printf("bob's message: Return-Path <%s>, Message-ID <%s>\n", msg.ReturnPath, msg.MessageID)
	if !strings.HasPrefix(msg.ReturnPath, "bounces+") || !strings.HasSuffix(msg.ReturnPath, "@example.org") {
		t.Errorf("Return-Path %q, want a VERP address bounces+TOKEN@example.org", msg.ReturnPath)
	}

	// The DSN bob's server would send back to that return path: it is
	// attributed by the token of the address it is sent to.
	box := filepath.Join(dir, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(box, sub), 0o700)
	}
	dsn := strings.ReplaceAll(`Return-Path: <>
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: RETURN_PATH
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

Return-Path: <RETURN_PATH>
To: bob@example.net
Message-ID: <MESSAGE_ID>

--B--
`, "RETURN_PATH", msg.ReturnPath)
	dsn = strings.ReplaceAll(dsn, "MESSAGE_ID", msg.MessageID)
	if err := os.WriteFile(filepath.Join(box, "new", "1764400000.M1P1.mx"), []byte(dsn), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out = m.runDigest(env, "bounces", box)
	fmt.Printf("$ digest bounces Maildir\n%s", out)
	if code != 0 || !strings.Contains(out, "suppressed bob@example.net (bounced; 5.1.1 hard, edition 2026-11-29)") {
		t.Fatalf("digest bounces: exit %d\n%s", code, out)
	}

	// The next edition: everybody but bob.
	article("second", "A Second Story", "2026-11-29T08:00:00Z")
	code, out = m.runDigest(env, "run", "--edition", "2026-11-30")
	if code != 0 {
		t.Fatalf("second edition: exit %d\n%s", code, out)
	}
	var second []string
	all := m.messages()
	seen := map[string]bool{}
	for _, s := range first {
		seen[s.ID] = true
	}
	for _, s := range all {
		if !seen[s.ID] {
			for _, to := range s.To {
				second = append(second, to.Address)
			}
		}
	}
	sort.Strings(second)
	fmt.Printf("edition 2026-11-29 went to 4; edition 2026-11-30 went to %d: %v\n", len(second), second)
	if strings.Join(second, " ") != "ann@example.net carol@example.net dave@example.net" {
		t.Fatalf("second edition went to %v, want ann, carol and dave", second)
	}
	code, out = m.runDigest(env, "status")
	fmt.Printf("$ digest status\n%s", out)
	if code != 0 || !strings.Contains(out, "complaint rate: 0.00%") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
}
