package web

import (
	"fmt"
	"sync"
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

// Links gives each address its own link, whatever it remembers, from many
// goroutines at once.
func TestLinks(t *testing.T) {
	secret := []byte("s3cret")
	l := NewLinks("https://news.example.org", secret)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				email := fmt.Sprintf("user%d@example.com", (i*7+g)%300)
				for range 2 { // as the renderer and the dispatcher ask
					if got, want := l.URL(email), UnsubscribeURL("https://news.example.org", secret, email); got != want {
						t.Errorf("URL(%s) = %s, want %s", email, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
