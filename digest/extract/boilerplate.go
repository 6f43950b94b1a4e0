package extract

import (
	"regexp"
	"strings"
)

// boilerplateRE matches a whole line that is site furniture rather than
// article text. Lines are lower-cased and stripped of surrounding
// punctuation before matching; only short lines are tested.
var boilerplateRE = regexp.MustCompile(`^(?:` + strings.Join([]string{
	// navigation
	`skip to (?:main )?(?:content|navigation|article|search)`,
	`jump to (?:navigation|search|content)`,
	`(?:table of )?contents`, `toc`, `in this article`, `on this page`,
	`back to top`, `go to top`, `top of page`,
	`(?:previous|next) (?:article|post|story|page)`, `read next`, `up next`,
	`menu`, `main menu`, `close menu`, `open menu`, `toggle navigation`, `search`, `home`,
	`show more`, `show less`, `load more`, `load more comments`,
	// share and subscribe prompts
	`share(?: this)?(?: article| story| post| page)?(?: (?:on|via) .{1,20})?`,
	`share on (?:facebook|twitter|x|linkedin|whatsapp|reddit|email)`,
	`(?:tweet|email|print|facebook|twitter|linkedin|whatsapp|pinterest|reddit)(?: this)?`,
	`(?:click|tap) to (?:share|email|print|tweet)(?: .{0,40})?`,
	`(?:share|follow us|find us) on .{1,40}`, `follow us`,
	`copy link`, `link copied(?: to clipboard)?`,
	`(?:subscribe|sign up|register)(?: now| today| for free| here)?(?: to .{0,60}| for .{0,60})?`,
	`subscribe to (?:our|the) .{0,60}`,
	`sign up for (?:our|the) .{0,60}newsletter.{0,60}`,
	`(?:get|receive) (?:our|the) .{0,40}newsletter.{0,60}`,
	`(?:join|become a member|log ?in|sign ?in)(?: to .{0,60})?`,
	`already a subscriber\??.{0,40}`,
	`related(?: articles| stories| posts| content| links)?`, `recommended(?: for you)?`,
	`more (?:from|on) .{1,40}`, `you (?:may|might) also like`, `most (?:popular|read)`,
	`comments?`, `\d+ comments?`, `leave a (?:comment|reply)`, `view comments`,
	// advertisement labels
	`advertisements?`, `advertising`, `sponsored(?: content)?`, `ad`, `story continues below(?: advertisement)?`,
	`continue reading(?: below| the main story)?`, `article continues below(?: advertisement)?`,
	`scroll to continue with content`, `read more`, `read more: .{0,80}`,
	// cookie notices
	`.{0,80}\b(?:we|this (?:web)?site|our (?:web)?site) uses? cookies.{0,200}`,
	`.{0,40}\buse of cookies.{0,200}`, `accept(?: all)? cookies`, `cookie (?:settings|policy|preferences)`,
	`(?:i )?(?:accept|agree|got it|ok|okay)`, `manage (?:cookies|preferences|consent)`,
	// image credits standing alone
	`(?:photo|image|picture)s?(?: credit)?: .{1,60}`,
}, "|") + `)$`)

// maxBoilerplate is the longest line tested for boilerplate; longer lines
// are prose.
const maxBoilerplate = 240

// isBoilerplate reports whether line, one trimmed line of text, is site
// furniture.
func isBoilerplate(line string) bool {
	if len(line) > maxBoilerplate {
		return false
	}
	l := strings.ToLower(strings.Trim(line, " \t.:!|•·»«›‹>-–—_=*#()[]"))
	return boilerplateRE.MatchString(l)
}
