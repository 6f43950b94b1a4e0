package web

import (
	"testing"
)

func TestToken(t *testing.T) {
	secret := []byte("s3cret")
	tok := Token(secret, "Ann@Example.com")
	tests := []struct {
		name, email, token string
		secret             []byte
		want               bool
	}{
		{"same address", "ann@example.com", tok, secret, true},
		{"case and space ignored", " ANN@example.COM ", tok, secret, true},
		{"other address", "bob@example.com", tok, secret, false},
		{"tampered token", "ann@example.com", tok[:len(tok)-1] + "A", secret, false},
		{"other secret", "ann@example.com", tok, []byte("other"), false},
		{"empty secret", "ann@example.com", Token(nil, "ann@example.com"), nil, false},
		{"empty token", "ann@example.com", "", secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.secret, tt.email, tt.token); got != tt.want {
				t.Errorf("Valid(%q, %q) = %v, want %v", tt.email, tt.token, got, tt.want)
			}
		})
	}
}
