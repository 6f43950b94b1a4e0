package mailer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIMConfig says how to sign messages with DKIM (RFC 6376). The signature
// uses relaxed canonicalization, rsa-sha256 or ed25519-sha256, and covers
// a fixed, short header list: From, To, Subject, Date, Message-ID, List-Id,
// List-Unsubscribe, List-Unsubscribe-Post, MIME-Version and Content-Type.
type DKIMConfig struct {
	Domain   string // the d= tag: the signing domain
	Selector string // the s= tag: the key's DNS record is <Selector>._domainkey.<Domain>
	// KeyFile is a PEM file with an RSA key (PKCS #1 or #8) or an Ed25519
	// key (PKCS #8). Key, when set, is used instead.
	KeyFile string
	Key     crypto.Signer
}

// dkimSigner signs built messages. Each Conn has its own.
type dkimSigner struct {
	opts dkim.SignOptions
}

// newDKIMSigner checks c and loads its key.
func newDKIMSigner(c *DKIMConfig) (*dkimSigner, error) {
	if c.Domain == "" || c.Selector == "" {
		return nil, errors.New("dkim: domain and selector are required")
	}
	key := c.Key
	if key == nil {
		if c.KeyFile == "" {
			return nil, errors.New("dkim: no key file")
		}
		var err error
		if key, err = loadDKIMKey(c.KeyFile); err != nil {
			return nil, err
		}
	}
	switch key.Public().(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("dkim: unsupported key type %T", key.Public())
	}
	return &dkimSigner{opts: dkim.SignOptions{
		Domain:                 c.Domain,
		Selector:               c.Selector,
		Signer:                 key,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{
			"From", "To", "Subject", "Date", "Message-ID", "List-Id",
			"List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version", "Content-Type",
		},
	}}, nil
}

// clone returns a signer for another Conn.
func (s *dkimSigner) clone() *dkimSigner {
	c := *s
	c.opts.HeaderKeys = append([]string(nil), s.opts.HeaderKeys...)
	return &c
}

// header returns the DKIM-Signature header field for msg, ending in CRLF.
func (s *dkimSigner) header(msg []byte) (string, error) {
	sg, err := dkim.NewSigner(&s.opts)
	if err != nil {
		return "", fmt.Errorf("dkim: %w", err)
	}
	if _, err := sg.Write(msg); err != nil {
		_ = sg.Close()
		return "", fmt.Errorf("dkim: %w", err)
	}
	if err := sg.Close(); err != nil {
		return "", fmt.Errorf("dkim: %w", err)
	}
	return sg.Signature(), nil
}

// sign writes msg to w with a DKIM-Signature header in front.
func (s *dkimSigner) sign(w io.Writer, msg []byte) error {
	h, err := s.header(msg)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, h); err != nil {
		return err
	}
	_, err = w.Write(msg)
	return err
}

// loadDKIMKey reads a PEM private key for DKIM.
func loadDKIMKey(name string) (crypto.Signer, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("dkim key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("dkim key %s: no PEM block", name)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("dkim key %s: %w", name, err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("dkim key %s: %w", name, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("dkim key %s: unsupported key type %T", name, k)
		}
		return s, nil
	}
	return nil, fmt.Errorf("dkim key %s: unsupported PEM type %q", name, block.Type)
}
