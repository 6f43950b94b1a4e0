package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of ParseConfirmToken.
var (
	ErrTokenInvalid = errors.New("web: confirmation token not valid")
	ErrTokenExpired = errors.New("web: confirmation token expired")
)

// ConfirmToken returns the token of a confirmation link: the address, the
// request's nonce and the time the link expires, signed with an
// HMAC-SHA256 under secret. The MAC covers a "confirm" label, so that no
// other token of the same secret (an unsubscribe token, a form's) can pass
// for one. The token is URL-safe; it names the address in the clear
// (base64), as the link is mailed to that address.
func ConfirmToken(secret []byte, email, nonce string, expires time.Time) string {
	payload := strings.ToLower(strings.TrimSpace(email)) + "\n" + nonce + "\n" + strconv.FormatInt(expires.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(confirmMAC(secret, payload))
}

func confirmMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("confirm\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// ParseConfirmToken checks a confirmation token under secret and returns
// its address (lower-cased) and nonce. A token that was not made with
// secret, or is malformed, is ErrTokenInvalid; one past its expiry at now is
// ErrTokenExpired. An empty secret refuses every token.
func ParseConfirmToken(secret []byte, token string, now time.Time) (email, nonce string, err error) {
	p64, m64, ok := strings.Cut(token, ".")
	if !ok || len(secret) == 0 || len(token) > 2048 {
		return "", "", ErrTokenInvalid
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(m64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, confirmMAC(secret, string(payload))) {
		return "", "", ErrTokenInvalid
	}
	parts := strings.Split(string(payload), "\n")
	if len(parts) != 3 {
		return "", "", ErrTokenInvalid
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", "", ErrTokenInvalid
	}
	if !now.Before(time.Unix(exp, 0)) {
		return "", "", ErrTokenExpired
	}
	return parts[0], parts[1], nil
}

// formToken returns the value the sign-up form carries for the browser
// whose cookie holds nonce: a MAC of the nonce under a "form" label.
func formToken(secret []byte, nonce string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("form\x00"))
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
