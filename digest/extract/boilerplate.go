package extract

import (
	"regexp"
	"strings"
	"unicode"
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
	`(?:related|see also|also read|read also|more|watch|listen|recommended|further reading): .{1,120}`,
	`(?:email|reach|contact|follow) .{0,80}(?:@|twitter|facebook|instagram).{0,120}`,
	`join our .{0,200}`, `tell us what you think`, `highlights`, `via [a-z0-9.-]{3,40}`,
	// captions, credits and galleries standing alone
	`(?:photo|image|picture|video)s?(?: credit| copyright| caption| source)?: .{1,100}`,
	`(?:image|photo|media) (?:copyright|credit|caption|source)\b.{0,200}`,
	`media playback is unsupported on your device`,
	`(?:image|photo|slide|picture) \d+ (?:of|/) ?/? ?\d*`, `\d+ ?(?:of|/) ?\d+`, `\d+of\d+.{0,240}`,
	`caption`, `close`, `enlarge(?: this image)?`, `expand`, `hide caption`, `toggle caption`,
	`(?:copyright|©|\(c\)) .{0,100}`, `all rights reserved.{0,40}`,
	// datelines standing alone
	`(?:updated|posted|published|last updated|first published|last modified)(?: on| at)?:? .{0,60}\d.{0,30}`,
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
	return !hasLetter(l) || boilerplateRE.MatchString(l)
}

// hasLetter reports whether s holds a letter; a line without one (rules
// such as "* * *", lone numbers) is not prose.
func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
