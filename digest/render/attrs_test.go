package render

import (
	"maps"
	"slices"
	"testing"
	"text/template"
	"text/template/parse"

	"github.com/google/go-cmp/cmp"
)

func TestAttrNames(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"none", `{{ .Subscriber.Name }}`, nil},
		{"field", `{{ if eq .Subscriber.Attrs.plan "pro" }}x{{ end }}`, []string{"plan"}},
		{"index", `{{ index .Subscriber.Attrs "first name" }}`, []string{"first name"}},
		{"under with", `{{ with .Subscriber }}{{ .Attrs.company }}{{ end }}`, []string{"company"}},
		{"in a define", `{{ define "x" }}{{ $.Subscriber.Attrs.city }}{{ end }}{{ template "x" . }}`, []string{"city"}},
		{"in range and else", `{{ range .Items }}{{ else }}{{ .Subscriber.Attrs.a }}{{ end }}`, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := template.Must(template.New("t").Funcs(funcs()).Parse(tt.src))
			var trees []*parse.Tree
			for _, t := range tmpl.Templates() {
				trees = append(trees, t.Tree)
			}
			got := slices.Sorted(maps.Keys(attrNames(trees...)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("attrNames (-want +got):\n%s", diff)
			}
		})
	}
}
