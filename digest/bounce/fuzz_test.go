package bounce_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/digest-newsletter/digest/digest/bounce"
)

// FuzzParse feeds Parse arbitrary messages, seeded with the sample
// reports: it must not panic, and a recipient it names is one address.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "reports", "*.eml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := bounce.Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, rc := range rep.Recipients {
			if bytes.ContainsAny([]byte(rc.Address), " \t\r\n<>") {
				t.Fatalf("recipient %q is not one address", rc.Address)
			}
		}
	})
}
