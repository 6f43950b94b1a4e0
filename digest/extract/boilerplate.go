package extract

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// boilerplateRE matches a whole line that is site furniture rather than
// article text. Lines are lower-cased and stripped of surrounding
// punctuation before matching; only short lines are tested. It is compiled
// on first use: that takes about 12 ms, which every start of the program
// would pay, though most runs extract no page.
var boilerplateRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(boilerplatePattern) })

var boilerplatePattern = `^(?:` + strings.Join([]string{
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
	`(?:subscribe|sign up|register)(?: now| today| for free| here)?`,
	`(?:subscribe|sign up) (?:to|for) (?:our|the|free|updates|more|daily|weekly|email).{0,80}`,
	`subscribe to (?:our|the) .{0,60}`,
	`sign up for (?:our|the) .{0,60}newsletter.{0,60}`,
	`(?:get|receive) (?:our|the) .{0,40}newsletter.{0,60}`,
	`(?:join|become a member|log ?in|sign ?in)(?: to .{0,60})?`,
	`already a subscriber\??.{0,40}`,
	`related(?: articles| stories| posts| content| links| news| coverage| reading)?`, `recommended(?: for you)?`,
	`trending(?: now| stories| news)?`, `popular(?: now| stories)?`, `editor'?s picks`, `top stories`,
	`more (?:from|on) .{1,40}`, `you (?:may|might) also like`, `most (?:popular|read)`,
	`comments?`, `\d+ comments?`, `leave a (?:comment|reply)`, `view comments`,
	// advertisement labels
	`advertisements?`, `advert`, `advertising`, `sponsored(?: content)?`, `ad`, `story continues below(?: advertisement)?`,
	`continue reading(?: below| the main story| on .{1,60}| .{1,100})?`, `the post .{1,200} appeared first on .{1,80}`, `article continues below(?: advertisement)?`,
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
	`copyright:? (?:©|\(c\)|\d{4}|by ).{0,100}`, `(?:©|\(c\)).{0,240}`, `all rights reserved.{0,40}`,
	`disclaimer: .{0,240}`, `.{0,100}\bearn (?:an )?(?:affiliate )?commission.{0,150}`,
	`have a (?:news |story )?tip\?.{0,200}`,
	// bylines and credits standing alone
	`.{2,60} is an? (?:[\w-]+ )?(?:reporter|writer|correspondent|editor|journalist|contributor|columnist|producer) (?:for|at|with) .{2,80}`,
	`.{0,200}\bcontributed (?:reporting )?to this (?:report|story|article)`,
	// datelines standing alone
	`(?:updated|posted|published|last updated|first published|last modified)(?: on| at)?:? .{0,60}\d.{0,30}`,
}, "|") + `)$`

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
	return !hasLetter(l) || boilerplateRE().MatchString(l) || isPrompt(l) || isDateline(l)
}

var (
	promptVerbRE = regexp.MustCompile(`\b(?:sign up|signup|subscribe|get|receive|delivered)\b`)
	promptNounRE = regexp.MustCompile(`\b(?:newsletters?|inbox|e-?mail alerts|news alerts|breaking news e-?mails)\b`)
)

// isPrompt reports whether l, a lower-cased line, asks the reader to sign
// up for a newsletter or alerts.
func isPrompt(l string) bool {
	return len(l) <= 200 && promptNounRE.MatchString(l) && promptVerbRE.MatchString(l)
}

// dateWords are the words a dateline is made of besides numbers.
var dateWords = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "may": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"january": true, "february": true, "march": true, "april": true, "june": true, "july": true,
	"august": true, "september": true, "october": true, "november": true, "december": true,
	"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"am": true, "pm": true, "a": true, "m": true, "p": true, "utc": true, "gmt": true, "est": true, "edt": true, "cst": true,
	"cdt": true, "mst": true, "mdt": true, "pst": true, "pdt": true, "hst": true, "bst": true, "cet": true, "cest": true, "ist": true,
	"published": true, "updated": true, "posted": true, "modified": true, "last": true, "on": true, "at": true, "first": true,
	"ago": true, "hours": true, "hour": true, "minutes": true, "mins": true, "days": true, "day": true, "h": true, "min": true, "t": true, "z": true,
}

// dateMarkRE matches what makes numbers a date or time: a month or day
// name, a clock time or an ISO date.
var dateMarkRE = regexp.MustCompile(`\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\b\d{1,2}:\d{2}\b|\d\s*[ap]\.?m\b|\b\d{4}-\d{2}-\d{2}\b`)

// isDateline reports whether l, a lower-cased line, is only a date and
// time, perhaps with a word or two ("Updated", a place or an outlet).
func isDateline(l string) bool {
	if len(l) > 80 {
		return false
	}
	if !dateMarkRE.MatchString(l) {
		return false
	}
	words := strings.FieldsFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	digits, other := 0, 0
	for _, w := range words {
		switch {
		case strings.IndexFunc(w, unicode.IsDigit) >= 0:
			digits++
		case !dateWords[w]:
			other++
		}
	}
	return digits > 0 && other <= 3 && other*3 <= len(words)
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
