package subscriber

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits of an address, from RFC 5321 section 4.5.3.1: a mail server
// refuses a longer local part or path.
const (
	MaxLocalPart = 64
	MaxAddress   = 254
)

// CheckAddress reports whether addr is an address a mail server would
// accept as a recipient: a bare addr-spec ("ada@example.com", no display
// name, no angle brackets, no quoted local part, no comments), exactly one
// @, a local part of at most MaxLocalPart bytes without leading, trailing or
// doubled dots, a domain name with at least one dot whose labels are letters,
// digits and inner hyphens, at most MaxAddress bytes in all, and no space,
// control character or invisible (format) character such as a bidi control
// or a zero-width space anywhere. Non-ASCII letters are allowed (SMTPUTF8 and
// internationalized domain names); address literals ("ada@[192.0.2.1]") are
// not. The error says why in a few words, such as "more than one @".
func CheckAddress(addr string) error {
	switch {
	case addr == "":
		return errors.New("empty")
	case !utf8.ValidString(addr):
		return errors.New("not valid UTF-8")
	}
	for _, r := range addr {
		switch {
		case r == ' ' || unicode.IsSpace(r):
			return errors.New("contains a space")
		case unicode.IsControl(r) || r == utf8.RuneError:
			return errors.New("contains a control character")
		case unicode.Is(unicode.Cf, r):
			// Bidi controls, zero-width characters, the soft hyphen: an
			// address that reads as another one.
			return fmt.Errorf("contains the invisible character %U", r)
		}
	}
	if len(addr) > MaxAddress {
		return fmt.Errorf("longer than %d characters", MaxAddress)
	}
	local, domain, ok := strings.Cut(addr, "@")
	switch {
	case !ok:
		return errors.New("no @")
	case strings.Contains(domain, "@"):
		return errors.New("more than one @")
	case local == "":
		return errors.New("nothing before the @")
	case domain == "":
		return errors.New("no domain after the @")
	case len(local) > MaxLocalPart:
		return fmt.Errorf("local part longer than %d characters", MaxLocalPart)
	}
	if err := checkLocalPart(local); err != nil {
		return err
	}
	if err := checkDomain(domain); err != nil {
		return err
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return errors.New("not an RFC 5322 address")
	}
	return nil
}

// checkLocalPart accepts a dot-atom of RFC 5322 atext, UTF-8 letters
// included.
func checkLocalPart(local string) error {
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return errors.New("misplaced dot before the @")
	}
	for _, r := range local {
		if r < utf8.RuneSelf && !isAtext(byte(r)) && r != '.' {
			return fmt.Errorf("%q not allowed before the @", r)
		}
	}
	return nil
}

func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// checkDomain accepts a host name with at least two labels: letters (any
// script), digits and inner hyphens, 63 bytes a label at most, and a last
// label that is not all digits.
func checkDomain(domain string) error {
	if !strings.Contains(domain, ".") {
		return errors.New("domain has no dot")
	}
	labels := strings.Split(domain, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return errors.New("misplaced dot in the domain")
		case len(l) > 63:
			return errors.New("domain label longer than 63 characters")
		case l[0] == '-' || l[len(l)-1] == '-':
			return errors.New("domain label starts or ends with a hyphen")
		}
		for _, r := range l {
			if r < utf8.RuneSelf && !(r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				return fmt.Errorf("%q not allowed in the domain", r)
			}
			if r >= utf8.RuneSelf && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				return fmt.Errorf("%q not allowed in the domain", r)
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return errors.New("domain ends in a number")
	}
	return nil
}
