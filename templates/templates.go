// Package templates holds the default templates of the newsletter, embedded
// in the binary. Users copy them with `digest templates init DIR`, edit the
// copies and point the renderer at DIR; a file missing from DIR falls back to
// the embedded one.
//
// The package only carries files. Parsing, the data given to the templates
// and the functions they may call live in package render; README.md in this
// folder documents them.
package templates

import (
	"embed"
	"io/fs"
)

// The template files, by the name the user sees and edits.
const (
	Subject = "subject.txt.tmpl"  // text/template: the subject line
	HTML    = "message.html.tmpl" // html/template: the HTML part
	Text    = "message.txt.tmpl"  // text/template: the plain-text part
	Readme  = "README.md"         // documentation of fields and functions
)

// The template files of sign-ups through digest serve.
const (
	Subscribe       = "subscribe.html.tmpl"    // html/template: the form, and the page after it
	Confirm         = "confirm.html.tmpl"      // html/template: the confirmation link's page
	ConfirmMailText = "confirm-mail.txt.tmpl"  // text/template: the confirmation mail's subject and text part
	ConfirmMailHTML = "confirm-mail.html.tmpl" // html/template: the confirmation mail's HTML part
)

//go:embed subject.txt.tmpl message.html.tmpl message.txt.tmpl README.md
//go:embed subscribe.html.tmpl confirm.html.tmpl confirm-mail.txt.tmpl confirm-mail.html.tmpl
var files embed.FS

// FS returns the default templates and their README, at the root of the
// file system. It is read-only.
func FS() fs.FS { return files }

// Names returns the names of the three template files, subject first.
func Names() []string { return []string{Subject, HTML, Text} }

// SignupNames returns the names of the sign-up template files.
func SignupNames() []string { return []string{Subscribe, Confirm, ConfirmMailText, ConfirmMailHTML} }
