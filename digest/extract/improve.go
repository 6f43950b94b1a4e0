package extract

import "golang.org/x/net/html"

// improve corrects readability's text of doc where it missed the main text.
func improve(doc *html.Node, text string) string {
	return text
}
