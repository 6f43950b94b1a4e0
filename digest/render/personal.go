package render

import (
	htmltemplate "html/template"
	"strings"
	"text/template"
	"text/template/parse"
)

// A ref is what a template expression refers to, as far as personal values
// go.
type ref struct {
	kind  refKind
	field string // for refLeaf: a digest.Slot field, or "Subject"
}

type refKind int

const (
	refOther refKind = iota // nothing personal
	refRoot                 // the Data itself
	refSub                  // .Subscriber
	refAttrs                // .Subscriber.Attrs
	refLeaf                 // a personal string
	refBad                  // a personal value no slot stands for (.Subscriber.Topics, say)
)

func (r ref) personal() bool { return r.kind != refOther }

// subjectField is the leaf of .Subject, the rendered subject line: it is
// personal when the subject template reads personal values.
const subjectField = "Subject"

// Escaper chains html/template puts after a printed value, as they read in
// the escaped template. The first three escape alike.
const (
	chainText = "_html_template_htmlescaper"
	chainRC   = "_html_template_rcdataescaper"
	chainAttr = "_html_template_attrescaper"
	chainURL  = "_html_template_urlfilter _html_template_urlnormalizer _html_template_attrescaper"
)

// personalUse tells how a template uses the personal values: the fields
// it reads, and how the HTML template escapes each where it prints it.
// When ok, it uses them only in ways slots reproduce exactly: printed, each
// always with the same escaping, or tested for emptiness by if and with.
// Then the template's output for a subscriber is its output with a slot for
// each value, the slots filled with their values escaped.
type personalUse struct {
	ok     bool
	fields map[string]bool   // the personal fields read, Subject included
	chains map[string]string // HTML only: how each value is escaped where printed; "" if never
	url    *htmltemplate.Template
}

// analyzeHTML returns how t uses the personal values. t must have been
// executed once, so that it is escaped.
func analyzeHTML(t *htmltemplate.Template) *personalUse {
	u := analyze(t.Tree, func(name string) *parse.Tree {
		if t := t.Lookup(name); t != nil {
			return t.Tree
		}
		return nil
	}, false)
	for _, c := range u.chains {
		switch c {
		case "", chainText:
		case chainURL:
			if u.url = urlProbe(); u.url == nil {
				u.ok = false
			}
		default:
			u.ok = false
		}
	}
	return u
}

// analyzeText returns how the text template t uses the personal values:
// ok when it only prints them as they are or tests them for emptiness.
func analyzeText(t *template.Template) *personalUse {
	return analyze(t.Tree, func(name string) *parse.Tree {
		if t := t.Lookup(name); t != nil {
			return t.Tree
		}
		return nil
	}, true)
}

func analyze(tree *parse.Tree, lookup func(string) *parse.Tree, text bool) *personalUse {
	a := &analysis{lookup: lookup, seen: map[string]bool{}, text: text, dollar: ref{kind: refRoot},
		chains: map[string]string{}, fields: map[string]bool{}}
	if tree == nil {
		return &personalUse{}
	}
	a.walk(tree.Root, ref{kind: refRoot})
	return &personalUse{ok: !a.bad, fields: a.fields, chains: a.chains}
}

// urlProbe returns a template that escapes its dot as a whole href, with
// the chainURL escapers, or nil if html/template does something else.
func urlProbe() *htmltemplate.Template {
	p := htmltemplate.Must(htmltemplate.New("probe").Parse(`<a href="{{ . }}">`))
	if err := p.Execute(new(strings.Builder), ""); err != nil {
		return nil
	}
	want := "{{. | " + strings.ReplaceAll(chainURL, " ", " | ") + "}}"
	if !strings.Contains(p.Tree.Root.String(), want) {
		return nil
	}
	return p
}

// escape returns v escaped as html/template escapes it with chain.
func (u *personalUse) escape(chain, v string) (string, bool) {
	switch chain {
	case chainText:
		return templateEscape(v), true
	case chainURL:
		if s, ok := plainURL(v); ok {
			return s, true
		}
		var b strings.Builder
		if err := u.url.Execute(&b, v); err != nil {
			return "", false
		}
		s := b.String()
		return strings.TrimSuffix(strings.TrimPrefix(s, `<a href="`), `">`), true
	}
	return "", true // never printed
}

// plainURL escapes an http or https URL made only of bytes (and %XX
// escapes) that html/template's URL filter and normalizer leave as they
// are, and of which its attribute escaper changes only &, as that chain
// does, and reports whether it could. Unsubscribe links are such URLs, and
// this spares running the probe template for each. A fuzz test holds it to
// the probe.
func plainURL(v string) (string, bool) {
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		return "", false
	}
	amps := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~/:?=@", c) >= 0:
		case c == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]):
			// An escape is kept as it is; a lone % is escaped itself.
		case c == '&':
			amps++
		default:
			return "", false
		}
	}
	if amps == 0 {
		return v, true
	}
	return strings.ReplaceAll(v, "&", "&amp;"), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// analysis walks an escaped template tree.
type analysis struct {
	lookup func(name string) *parse.Tree
	text   bool // a text/template: values print unescaped
	seen   map[string]bool
	chains map[string]string // by field
	fields map[string]bool   // the personal fields read
	bad    bool
	// dollar is what $ refers to: the data, or in a template called by
	// {{template}} the value it was called with.
	dollar ref
}

// subscriberFields are the fields of digest.Subscriber a slot stands for.
var subscriberFields = map[string]bool{"Email": true, "Name": true, "Status": true, "Cadence": true, "Timezone": true}

// apply follows field names from base.
func apply(base ref, idents []string) ref {
	for _, id := range idents {
		switch base.kind {
		case refRoot:
			switch id {
			case "Subscriber":
				base = ref{kind: refSub}
			case "UnsubscribeURL", subjectField:
				base = ref{kind: refLeaf, field: id}
			default:
				base = ref{}
			}
		case refSub:
			switch {
			case subscriberFields[id]:
				base = ref{kind: refLeaf, field: id}
			case id == "Attrs":
				base = ref{kind: refAttrs}
			default: // Topics, Line, a method: no slot stands for them
				base = ref{kind: refBad}
			}
		case refAttrs:
			base = ref{kind: refLeaf, field: "Attrs." + id}
		case refOther:
		default: // a field of a string, of something bad
			base = ref{kind: refBad}
		}
	}
	return base
}

// resolve returns what node n refers to, and whether it is a plain
// reference (dot, a field, a variable) rather than a computed value.
func (a *analysis) resolve(n parse.Node, dot ref) (ref, bool) {
	r, plain := a.resolve1(n, dot)
	switch r.kind {
	case refLeaf:
		a.fields[r.field] = true
	case refBad:
		a.bad = true
	}
	return r, plain
}

func (a *analysis) resolve1(n parse.Node, dot ref) (ref, bool) {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot, true
	case *parse.FieldNode:
		return apply(dot, n.Ident), true
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			return apply(a.dollar, n.Ident[1:]), true
		}
		// Variables are never declared from personal values (see walk).
		return ref{}, true
	case *parse.ChainNode:
		base, plain := a.resolve(n.Node, dot)
		return apply(base, n.Field), plain
	}
	return ref{}, false
}

// mentions reports whether pipe refers to anything personal anywhere.
func (a *analysis) mentions(pipe *parse.PipeNode, dot ref) bool {
	if pipe == nil {
		return false
	}
	for _, c := range pipe.Cmds {
		for _, arg := range c.Args {
			if p, ok := arg.(*parse.PipeNode); ok {
				if a.mentions(p, dot) {
					return true
				}
				continue
			}
			if r, _ := a.resolve(arg, dot); r.personal() {
				return true
			}
		}
	}
	return false
}

// single returns what pipe refers to when it is one plain reference and
// nothing else.
func (a *analysis) single(pipe *parse.PipeNode, dot ref) (ref, bool) {
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) != 1 || len(pipe.Cmds[0].Args) != 1 {
		return ref{}, false
	}
	return a.resolve(pipe.Cmds[0].Args[0], dot)
}

func (a *analysis) walk(n parse.Node, dot ref) {
	if a.bad || n == nil {
		return
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			a.walk(c, dot)
		}
	case *parse.ActionNode:
		a.action(n.Pipe, dot)
	case *parse.IfNode:
		a.condition(n.Pipe, dot)
		a.walk(n.List, dot)
		a.walk(n.ElseList, dot)
	case *parse.WithNode:
		inner := a.condition(n.Pipe, dot)
		a.walk(n.List, inner)
		a.walk(n.ElseList, dot)
	case *parse.RangeNode:
		if a.mentions(n.Pipe, dot) {
			a.bad = true
			return
		}
		a.walk(n.List, ref{})
		a.walk(n.ElseList, dot)
	case *parse.TemplateNode:
		callee := ref{}
		if n.Pipe != nil {
			r, plain := a.single(n.Pipe, dot)
			switch {
			case plain:
				callee = r
			case a.mentions(n.Pipe, dot):
				a.bad = true
				return
			}
		}
		key := n.Name + "\x00" + string(rune('0'+callee.kind)) + callee.field
		if a.seen[key] {
			return
		}
		a.seen[key] = true
		tree := a.lookup(n.Name)
		if tree == nil {
			a.bad = true
			return
		}
		// In the called template $ is callee, not the data.
		outer := a.dollar
		a.dollar = callee
		a.walk(tree.Root, callee)
		a.dollar = outer
	case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
	default:
		a.bad = true
	}
}

// condition checks the pipeline of an if or with, and returns the dot of a
// with's body.
func (a *analysis) condition(pipe *parse.PipeNode, dot ref) ref {
	r, plain := a.single(pipe, dot)
	if plain {
		if r.kind == refAttrs {
			a.bad = true // a map's truth depends on all its keys
		}
		return r
	}
	if a.mentions(pipe, dot) {
		a.bad = true
	}
	return ref{}
}

// action checks a printing action: a personal value may be printed, then
// escaped by html/template, and nothing else.
func (a *analysis) action(pipe *parse.PipeNode, dot ref) {
	if len(pipe.Decl) > 0 || len(pipe.Cmds) == 0 || len(pipe.Cmds[0].Args) != 1 {
		if a.mentions(pipe, dot) {
			a.bad = true
		}
		return
	}
	r, plain := a.resolve(pipe.Cmds[0].Args[0], dot)
	if !plain || !r.personal() {
		if a.mentions(pipe, dot) {
			a.bad = true
		}
		return
	}
	if r.kind != refLeaf {
		a.bad = true // printing the whole subscriber, say
		return
	}
	leaf := r.field
	var chain []string
	for _, c := range pipe.Cmds[1:] {
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if len(c.Args) != 1 || !ok || !strings.HasPrefix(id.Ident, "_html_template_") {
			a.bad = true
			return
		}
		chain = append(chain, id.Ident)
	}
	c := strings.Join(chain, " ")
	if a.text {
		if c != "" {
			a.bad = true
		}
		return
	}
	switch c {
	case chainText, chainRC, chainAttr:
		c = chainText // all three escape alike
	}
	if prev := a.chains[leaf]; prev != "" && prev != c || c == "" {
		a.bad = true
		return
	}
	a.chains[leaf] = c
}
