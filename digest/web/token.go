// Package web serves what subscribers reach in a browser: the one-click
// unsubscribe endpoint (RFC 8058), the unsubscribe confirmation page, and
// the archive of frozen editions behind "view in browser" links.
package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash/maphash"
	"net/url"
	"strings"
	"sync"
)

// Token returns the unsubscribe token of an address: an HMAC-SHA256 of the
// lower-cased address under secret, base64url without padding. It never
// expires; changing the secret invalidates every link already mailed.
func Token(secret []byte, email string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Valid reports whether token is the address's token under secret, in
// constant time.
func Valid(secret []byte, email, token string) bool {
	want := Token(secret, email)
	return len(secret) > 0 && hmac.Equal([]byte(want), []byte(token))
}

// UnsubscribeURL returns the one-click unsubscribe URL of an address under
// base, the public URL of `digest serve`.
func UnsubscribeURL(base string, secret []byte, email string) string {
	return strings.TrimRight(base, "/") + "/unsubscribe?" + url.Values{"e": {email}, "t": {Token(secret, email)}}.Encode()
}

// Links makes the signed unsubscribe URLs of one list, as UnsubscribeURL
// does. It keeps the last few it made: a delivery asks for each
// subscriber's link twice, for the message and for its List-Unsubscribe
// header, and the HMAC was a twentieth of a run's CPU. It is safe for
// concurrent use.
type Links struct {
	base   string
	secret []byte
	mu     sync.Mutex
	recent [64]struct{ email, url string }
}

// NewLinks returns the link maker of the list served at base.
func NewLinks(base string, secret []byte) *Links {
	return &Links{base: base, secret: secret}
}

// URL returns the unsubscribe URL of email.
func (l *Links) URL(email string) string {
	h := maphash.String(linkSeed, email) % uint64(len(l.recent))
	l.mu.Lock()
	r := l.recent[h]
	l.mu.Unlock()
	if r.url != "" && r.email == email {
		return r.url
	}
	u := UnsubscribeURL(l.base, l.secret, email)
	l.mu.Lock()
	l.recent[h].email, l.recent[h].url = email, u
	l.mu.Unlock()
	return u
}

var linkSeed = maphash.MakeSeed()
