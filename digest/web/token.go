// Package web serves what subscribers reach in a browser: the one-click
// unsubscribe endpoint (RFC 8058), the unsubscribe confirmation page, and
// the archive of frozen editions behind "view in browser" links.
package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
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
