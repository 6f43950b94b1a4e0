package templates

import (
	"io/fs"
	"testing"
)

func TestFilesEmbedded(t *testing.T) {
	for _, name := range append(append(Names(), SignupNames()...), Readme) {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
}
