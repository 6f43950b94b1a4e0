package bounce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// tokenBytes is the size of a decoded token: 4 bytes of the edition's
// hash, 8 of the subscriber's address's hash and 8 of the signature.
const tokenBytes = 4 + 8 + 8

// TokenLen is the length of a token in characters: 32, so that
// "bounces+TOKEN" fits a local part's 64 bytes with room for a base
// address's local part of up to 23 characters.
const TokenLen = 32

// tokenEncoding is lower-case base32 without padding: letters and digits
// only, so a token survives a server that changes the case of a local part.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ErrToken is wrapped by the errors of a token that is malformed or whose
// signature does not verify.
var ErrToken = errors.New("bounce: bad VERP token")

// A Signer makes and checks the VERP tokens of return paths. A token names
// an edition and a subscriber by hashes and carries an HMAC-SHA256 of both,
// truncated to 64 bits; it does not hold the address itself, so checking
// one needs the candidates (the journal's recipients of the edition).
type Signer struct {
	key []byte
}

// NewSigner returns a Signer that signs with key (DIGEST_SECRET).
func NewSigner(key []byte) *Signer { return &Signer{key: key} }

// Token returns the token of an edition's message to an address. The
// address is compared in lower case.
func (s *Signer) Token(edition, email string) string {
	var b [tokenBytes]byte
	eh, mh := editionHash(edition), addressHash(email)
	copy(b[:4], eh[:])
	copy(b[4:12], mh[:])
	copy(b[12:], s.mac(edition, email))
	return tokenEncoding.EncodeToString(b[:])
}

// ReturnPath returns the VERP envelope sender of an edition's message to
// an address: the base address with "+TOKEN" added to its local part.
// base must hold one '@'.
func (s *Signer) ReturnPath(base, edition, email string) string {
	local, domain, _ := strings.Cut(base, "@")
	return local + "+" + s.Token(edition, email) + "@" + domain
}

func (s *Signer) mac(edition, email string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("digest verp\x00"))
	m.Write([]byte(edition))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToLower(email)))
	return m.Sum(nil)[:8]
}

// A Token is a decoded VERP token: the hashes that name its edition and
// subscriber, not yet checked.
type Token struct {
	edition [4]byte
	email   [8]byte
	sig     [8]byte
}

// ParseToken decodes a token, in any case. It checks the form only; Verify
// checks the signature.
func ParseToken(s string) (Token, error) {
	var t Token
	if len(s) != TokenLen {
		return t, fmt.Errorf("%w: %d characters, want %d", ErrToken, len(s), TokenLen)
	}
	b, err := tokenEncoding.DecodeString(strings.ToLower(s))
	if err != nil || len(b) != tokenBytes {
		return t, fmt.Errorf("%w: not base32", ErrToken)
	}
	copy(t.edition[:], b[:4])
	copy(t.email[:], b[4:12])
	copy(t.sig[:], b[12:])
	return t, nil
}

// NamesEdition reports whether the token's edition hash is the edition's.
func (t Token) NamesEdition(edition string) bool { return t.edition == editionHash(edition) }

// NamesAddress reports whether the token's address hash is the address's.
func (t Token) NamesAddress(email string) bool { return t.email == addressHash(email) }

// Verify reports whether the token was signed by s for this edition and
// address.
func (s *Signer) Verify(t Token, edition, email string) bool {
	return t.NamesEdition(edition) && t.NamesAddress(email) && hmac.Equal(t.sig[:], s.mac(edition, email))
}

func editionHash(edition string) [4]byte {
	sum := sha256.Sum256([]byte("edition\x00" + edition))
	return [4]byte(sum[:4])
}

func addressHash(email string) [8]byte {
	sum := sha256.Sum256([]byte("address\x00" + strings.ToLower(email)))
	return [8]byte(sum[:8])
}

// TokenOf returns the token in a VERP address made from base, and whether
// the address is one: "bounces+TOKEN@example.org" for base
// "bounces@example.org", compared without regard to case. The token is not
// checked.
func TokenOf(base, addr string) (string, bool) {
	bl, bd, ok := strings.Cut(strings.ToLower(base), "@")
	if !ok {
		return "", false
	}
	al, ad, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok || ad != bd {
		return "", false
	}
	tok, ok := strings.CutPrefix(al, bl+"+")
	if !ok || tok == "" {
		return "", false
	}
	return tok, true
}
