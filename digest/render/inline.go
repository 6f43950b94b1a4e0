package render

import (
	"fmt"
	"html"
	"strings"
	"sync"
	"text/template/parse"

	"github.com/digest-newsletter/digest/digest"
	"github.com/vanng822/go-premailer/premailer"
	xhtml "golang.org/x/net/html"
)

// inline moves the CSS of the document's <style> blocks into style
// attributes. Blocks marked data-premailer="ignore" stay as they are; media
// queries are kept in a <style> block of their own.
func inline(doc string) (string, error) {
	p, err := premailer.NewPremailerFromString(doc, premailer.NewOptions())
	if err != nil {
		return "", fmt.Errorf("parse html: %w", err)
	}
	return p.Transform()
}

// A shape is a message as every subscriber alike gets it but for their
// address and name, unsubscribe link and subject: the templates' output with
// placeholder words in their place, and the HTML inlined.
type shape struct {
	doc     holes
	text    holes // the text part, if r.textFast
	once    sync.Once
	inlined holes
	err     error
}

// holes is a document cut at its placeholders: lits[0], the value of
// leaves[0], lits[1], … lits[len(leaves)].
type holes struct {
	lits   []string
	leaves []int
}

// cut cuts doc at the placeholders, token followed by the leaf's letter
// and "q".
func cut(doc, token string) holes {
	var h holes
	for {
		i := strings.Index(doc, token)
		if i < 0 || i+len(token)+2 > len(doc) || doc[i+len(token)+1] != 'q' {
			break
		}
		leaf := int(doc[i+len(token)] - 'a')
		if leaf < 0 || leaf >= numLeaves {
			break
		}
		h.lits = append(h.lits, doc[:i])
		h.leaves = append(h.leaves, leaf)
		doc = doc[i+len(token)+2:]
	}
	h.lits = append(h.lits, doc)
	return h
}

// filling returns the document with the values to put in, uncopied.
func (h holes) filling(vals *[numLeaves]string) *digest.Filling {
	f := &digest.Filling{Lits: h.lits, Vals: make([]string, len(h.leaves))}
	for i, l := range h.leaves {
		f.Vals[i] = vals[l]
	}
	return f
}

// fill returns the document with the values put in.
func (h holes) fill(vals *[numLeaves]string) string {
	return h.filling(vals).String()
}

// renderHTML renders the HTML part for d, its CSS inlined, and the text
// part.
//
// Inlining costs much more than executing the template, so it is done once
// per shape: the template is executed with placeholder words instead of the
// subscriber's address and name, the unsubscribe link and the subject
// (empty values stay empty, so {{if}} and {{with}} take the same branch),
// that document is inlined once and cached, and each message gets the
// placeholders replaced with its values, escaped as the HTML serializer
// escapes them.
//
// When the template only prints those values or tests them for emptiness
// (r.personal is set), that is all a message costs. Otherwise the message's
// own document is rendered too, and the cached shape is used only if,
// with the values escaped as html/template escapes them, it equals that
// document: a template that compares those values, say, is inlined message
// by message instead, never wrongly.
//
// key is the message's shapeKey.
func (r *Renderer) renderHTML(d Data, key []byte, filling bool) (p parts, err error) {
	vals := [numLeaves]string{d.Subscriber.Email, d.Subscriber.Name, d.UnsubscribeURL, d.Subject}
	var toks [numLeaves]string
	for i, v := range vals {
		if strings.ContainsAny(v, "\r\x00") {
			return r.slowParts(d)
		}
		if v != "" {
			toks[i] = r.toks[i]
		}
	}
	sh, err := r.shape(d, toks, append(key, present(d.Subject)))
	if err != nil {
		// The placeholders may fail where the values do not (slice
		// .Subscriber.Name 0 30, say): the message decides.
		return r.slowParts(d)
	}
	var want, put [numLeaves]string
	for i, t := range toks {
		if t == "" {
			continue
		}
		w := templateEscape(vals[i])
		if r.personal != nil {
			var ok bool
			if w, ok = r.personal.escape(i, vals[i]); !ok {
				return r.slowParts(d)
			}
		}
		want[i], put[i] = w, xhtml.EscapeString(unescape(w))
	}
	switch {
	case r.textFast && filling:
		p.textFill = sh.text.filling(&vals)
	case r.textFast:
		p.text = sh.text.fill(&vals)
	default:
		if p.text, err = r.exec(r.text, d); err != nil {
			return parts{}, err
		}
	}
	if r.personal == nil {
		real, err := r.exec(r.html, d)
		if err != nil {
			return parts{}, err
		}
		if sh.doc.fill(&want) != real {
			p.html, err = r.inlineSlow(real)
			return p, err
		}
	}
	sh.once.Do(func() {
		r.inlines.Add(1)
		doc, err := inline(sh.doc.fill(&toks))
		if err != nil {
			sh.err = fmt.Errorf("inline css: %w", err)
			return
		}
		sh.inlined = cut(doc, r.token)
	})
	if sh.err != nil {
		return parts{}, sh.err
	}
	if filling {
		p.htmlFill = sh.inlined.filling(&put)
	} else {
		p.html = sh.inlined.fill(&put)
	}
	return p, nil
}

// parts are a message's HTML and text parts, each a string or, when asked
// for and the shape allows, a Filling.
type parts struct {
	html, text         string
	htmlFill, textFill *digest.Filling
}

// slowParts renders the parts without the cache.
func (r *Renderer) slowParts(d Data) (parts, error) {
	html, text, err := r.renderSlow(d)
	return parts{html: html, text: text}, err
}

// unescape decodes the character references html/template writes.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return html.UnescapeString(s)
}

// renderSlow renders one message's HTML and text parts without the cache.
func (r *Renderer) renderSlow(d Data) (html, text string, err error) {
	if text, err = r.exec(r.text, d); err != nil {
		return "", "", err
	}
	real, err := r.exec(r.html, d)
	if err != nil {
		return "", "", err
	}
	html, err = r.inlineSlow(real)
	return html, text, err
}

// shape returns the cached shape of d's message, by key: its shapeKey and
// whether the subject is empty (see shapeKey).
func (r *Renderer) shape(d Data, toks [numLeaves]string, key []byte) (*shape, error) {
	r.mu.Lock()
	sh, ok := r.shapes[string(key)]
	r.mu.Unlock()
	if ok {
		return sh, nil
	}
	td := d
	td.Subscriber.Email, td.Subscriber.Name = toks[leafEmail], toks[leafName]
	td.UnsubscribeURL, td.Subject = toks[leafUnsubscribe], toks[leafSubject]
	sh = &shape{}
	doc, err := r.exec(r.html, td)
	if err != nil {
		return nil, err
	}
	sh.doc = cut(doc, r.token)
	if r.textFast {
		text, err := r.exec(r.text, td)
		if err != nil {
			return nil, err
		}
		sh.text = cut(text, r.token)
	}
	k := string(key)
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.shapes[k]; ok {
		return old, nil // another goroutine was first
	}
	if len(r.shapes) >= maxCached {
		clear(r.shapes)
	}
	r.shapes[k] = sh
	return sh, nil
}

// inlineSlow inlines one message's document, uncached.
func (r *Renderer) inlineSlow(doc string) (string, error) {
	r.inlines.Add(1)
	out, err := inline(doc)
	if err != nil {
		return "", fmt.Errorf("inline css: %w", err)
	}
	return out, nil
}

// templateEscape escapes s as html/template does in text and quoted
// attribute values.
func templateEscape(s string) string {
	return htmlEscaper.Replace(s)
}

// htmlEscaper is html/template's text escaper. It is immutable.
var htmlEscaper = strings.NewReplacer(
	"\x00", "\uFFFD",
	`"`, "&#34;",
	"&", "&amp;",
	"'", "&#39;",
	"+", "&#43;",
	"<", "&lt;",
	">", "&gt;",
)

// attrNames returns the subscriber attributes the templates name:
// .Subscriber.Attrs.NAME (or .Attrs.NAME under a with) and
// index .Subscriber.Attrs "NAME". Only these go into a shape's key; should a
// template reach an attribute some other way, the check in renderHTML sees
// the output differ and inlines that message on its own.
func attrNames(trees ...*parse.Tree) map[string]bool {
	names := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case nil:
		case *parse.FieldNode:
			addAttr(names, n.Ident)
		case *parse.VariableNode:
			addAttr(names, n.Ident)
		case *parse.ChainNode:
			addAttr(names, n.Field)
			walk(n.Node)
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for i, a := range n.Args {
				walk(a)
				if id, ok := a.(*parse.IdentifierNode); ok && id.Ident == "index" {
					for _, k := range n.Args[i+1:] {
						if s, ok := k.(*parse.StringNode); ok {
							names[s.Text] = true
						}
					}
				}
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	for _, t := range trees {
		if t != nil {
			walk(t.Root)
		}
	}
	return names
}

// addAttr adds NAME when idents read like ... Attrs NAME.
func addAttr(names map[string]bool, idents []string) {
	for i := 0; i+1 < len(idents); i++ {
		if idents[i] == "Attrs" {
			names[idents[i+1]] = true
		}
	}
}
