package render

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/templates"
)

// TestReadmeDocumentsEverything checks that templates/README.md names every
// field and function a template can use.
func TestReadmeDocumentsEverything(t *testing.T) {
	b, err := fs.ReadFile(templates.FS(), templates.Readme)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range []any{Data{}, Edition{}, Item{}, Group{}} {
		typ := reflect.TypeOf(v)
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			if !strings.Contains(readme, "`."+f.Name) && !strings.Contains(readme, "`."+typ.Name()+"."+f.Name) && !strings.Contains(readme, "."+f.Name+"`") {
				t.Errorf("README.md does not document %s.%s", typ.Name(), f.Name)
			}
		}
	}
	for name := range htmlFuncs(newPolicy()) {
		if !strings.Contains(readme, "`"+name) {
			t.Errorf("README.md does not document the function %s", name)
		}
	}
	for _, m := range []string{"Refs.Add", "Refs.Take"} {
		if !strings.Contains(readme, m) {
			t.Errorf("README.md does not document %s", m)
		}
	}
}
