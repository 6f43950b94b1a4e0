package render

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/digest-newsletter/digest/digest"
)

// A note is the editor's note of an edition, rendered.
type note struct {
	subject string // from the front matter, "" if none
	html    template.HTML
	text    string
	links   int // how many numbered references text holds
}

// newMarkdown returns the Markdown converter of editor's notes. Unless
// unsafe, raw HTML in the note is shown escaped, as text.
func newMarkdown(unsafe bool) goldmark.Markdown {
	opts := []renderer.Option{}
	if unsafe {
		opts = append(opts, html.WithUnsafe())
	} else {
		opts = append(opts, renderer.WithNodeRenderers(util.Prioritized(escapeRaw{}, 100)))
	}
	return goldmark.New(
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough),
		goldmark.WithRendererOptions(opts...),
	)
}

// escapeRaw renders raw HTML of a note as escaped text.
type escapeRaw struct{}

func (escapeRaw) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := range segs.Len() {
				seg := segs.At(i)
				_, _ = w.WriteString(template.HTMLEscapeString(string(seg.Value(src))))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		var raw bytes.Buffer
		for i := range b.Lines().Len() {
			seg := b.Lines().At(i)
			raw.Write(seg.Value(src))
		}
		if b.HasClosure() {
			raw.Write(b.ClosureLine.Value(src))
		}
		_, _ = w.WriteString("<p>" + template.HTMLEscapeString(strings.TrimRight(raw.String(), "\n")) + "</p>\n")
		return ast.WalkSkipChildren, nil
	})
}

// splitFrontMatter returns the "key: value" pairs of a front matter block
// ("---" lines around it) at the start of src, and the rest of src.
func splitFrontMatter(src string) (map[string]string, string) {
	s := strings.TrimLeft(src, "\ufeff")
	if !strings.HasPrefix(s, "---\n") && !strings.HasPrefix(s, "---\r\n") {
		return nil, src
	}
	lines := strings.SplitAfter(s, "\n")
	meta := map[string]string{}
	for i := 1; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "---" {
			return meta, strings.Join(lines[i+1:], "")
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		meta[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return nil, src // no closing line: not front matter
}

// renderNote renders the editor's note: HTML (sanitized unless unsafe) and
// plain text wrapped at width, its links numbered from 1 and listed under it.
func renderNote(md goldmark.Markdown, policy *bluemonday.Policy, unsafe bool, src string, width int) (note, error) {
	meta, body := splitFrontMatter(src)
	n := note{subject: digest.CleanText(meta["subject"])}
	if strings.TrimSpace(body) == "" {
		return n, nil
	}
	source := []byte(body)
	doc := md.Parser().Parse(text.NewReader(source))
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, source, doc); err != nil {
		return n, fmt.Errorf("editor's note: %w", err)
	}
	out := buf.String()
	if !unsafe {
		out = policy.Sanitize(out)
	}
	n.html = template.HTML(out)
	tw := &textWriter{src: source, width: width}
	tw.blocks(doc, "")
	n.text = strings.TrimRight(tw.b.String(), "\n")
	if len(tw.refs.pending) > 0 {
		n.text += "\n\n" + strings.Join(tw.refs.Take(), "\n")
	}
	n.links = tw.refs.n
	return n, nil
}

// textWriter turns a Markdown tree into plain text.
type textWriter struct {
	src   []byte
	width int
	b     strings.Builder
	refs  Refs
}

// para writes one block of text, wrapped, after a blank line.
func (t *textWriter) para(s, first, rest string) {
	if t.b.Len() > 0 {
		t.b.WriteString("\n")
	}
	w := wrap(t.width-len(rest), s)
	for i, l := range strings.Split(w, "\n") {
		if i == 0 {
			t.b.WriteString(first + l + "\n")
		} else {
			t.b.WriteString(rest + l + "\n")
		}
	}
}

func (t *textWriter) blocks(parent ast.Node, prefix string) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		t.block(n, prefix)
	}
}

// block writes one block node and its children.
func (t *textWriter) block(n ast.Node, prefix string) {
	switch n := n.(type) {
	case *ast.Heading:
		line := "="
		if n.Level > 1 {
			line = "-"
		}
		t.para(underline(line, t.inline(n)), prefix, prefix)
	case *ast.Paragraph, *ast.TextBlock:
		t.para(t.inline(n), prefix, prefix)
	case *ast.List:
		num := n.Start
		for li := n.FirstChild(); li != nil; li = li.NextSibling() {
			mark := "- "
			if n.IsOrdered() {
				mark = fmt.Sprintf("%d. ", num)
				num++
			}
			// The first block of an item carries the mark.
			first := li.FirstChild()
			if first != nil {
				t.para(t.inline(first), prefix+mark, prefix+strings.Repeat(" ", len(mark)))
				for rest := first.NextSibling(); rest != nil; rest = rest.NextSibling() {
					t.block(rest, prefix+strings.Repeat(" ", len(mark)))
				}
			}
		}
	case *ast.Blockquote:
		t.blocks(n, prefix+"> ")
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		if t.b.Len() > 0 {
			t.b.WriteString("\n")
		}
		lines := n.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			t.b.WriteString(prefix + "    " + strings.TrimRight(string(seg.Value(t.src)), "\n") + "\n")
		}
	case *ast.ThematicBreak:
		t.para("* * *", prefix, prefix)
	case *ast.HTMLBlock:
		// Raw HTML has no place in the text part.
	default:
		t.blocks(n, prefix)
	}
}

// inline returns the text of n's inline children: links as "text [n]".
func (t *textWriter) inline(n ast.Node) string {
	var b strings.Builder
	t.inlineTo(&b, n)
	return strings.TrimSpace(b.String())
}

func (t *textWriter) inlineTo(b *strings.Builder, parent ast.Node) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Text:
			b.Write(n.Segment.Value(t.src))
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.AutoLink:
			b.Write(n.URL(t.src))
		case *ast.Link:
			t.inlineTo(b, n)
			if ref := t.refs.Add(safeURL(string(n.Destination))); ref != "" {
				b.WriteString(" " + ref)
			}
		case *ast.RawHTML:
			// Dropped from the text part.
		default:
			t.inlineTo(b, n)
		}
	}
}
