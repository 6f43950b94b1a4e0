package extract

import (
	"maps"
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
	// reading time, in the languages of the pages we read
	`(?:estimated )?(?:reading time|read time|tempo de leitura|tempo di lettura|tiempo de lectura|temps de lecture|lesezeit|lesedauer|leestijd|waktu baca|lama membaca)\s*:?\s*(?:ca\.? |about |approx\.? )?\d+\s*(?:-\s*\d+\s*)?\p{L}{0,10}`,
	`(?:ca\.? |about )?\d+\s*(?:min|mins|minute|minutes|minuto|minutos|minuti|minuten|menit|분)\.?\s*(?:read|reading|de leitura|di lettura|de lectura|de lecture|lesezeit|lesen|baca|읽기)`,
	// disclosures, credits and where a story first appeared
	`.{0,80}\b(?:may contain|contains|includes|uses) affiliate links?\b.{0,200}`,
	`.{0,120}\bqualifying purchases\b.{0,80}`,
	`(?:this (?:article|story|post|piece) (?:was |is )?(?:originally|first)|originally) (?:published|appeared|posted|ran)(?: on| in| at| by)? .{1,200}`,
	`(?:click|tap) (?:for|here for|to see|to read|to watch|to get) .{1,120}`,
	`home of (?:the )?.{1,60}`,
	`(?:cover|featured|feature|header|lead|top|hero|main) (?:image|photo|picture|illustration)s?: .{1,200}`,
	`enlarge(?: this)? (?:image|photo|picture)\b.{0,200}`,
	`(?:photo|image|picture|pic)s?: .{1,60}`,
	// copyright lines in other languages and with other signs
	`(?:copyright )?ⓒ.{0,240}`,
	`.{0,120}(?:todos os direitos reservados|todos los derechos reservados|alle rechte vorbehalten|tutti i diritti riservati|tous droits réservés|hak cipta dilindungi|무단 ?전재.{0,20}금지).{0,120}`,
}, "|") + `)$`

// maxBoilerplate is the longest line tested for boilerplate; longer lines
// are prose.
const maxBoilerplate = 240

// isBoilerplate reports whether line, one trimmed line of text, is site
// furniture.
func isBoilerplate(line string) bool {
	if isCapsDateline(line) {
		return true
	}
	if len(line) > maxBoilerplate {
		return hasCredit(line)
	}
	l := strings.ToLower(strings.Trim(line, " \t.:!|•·»«›‹>-–—_=*#()[]"))
	return !hasLetter(l) || boilerplateRE().MatchString(l) || isPrompt(l) || isDateline(l) ||
		isBreadcrumb(line) || isByline(line) || hasCredit(line)
}

// breadcrumbSepRE splits a breadcrumb trail ("Home > News > World").
var breadcrumbSepRE = regexp.MustCompile(`\s+(?:>|»|›|/|\||→)\s+`)

// isBreadcrumb reports whether line is a trail of three or more short
// links to the sections above a page, with no sentence in it.
func isBreadcrumb(line string) bool {
	parts := breadcrumbSepRE.Split(strings.TrimSpace(line), -1)
	if len(parts) < 3 || endsSentence(line) {
		return false
	}
	for _, p := range parts {
		if n := len(strings.Fields(p)); n == 0 || n > 4 {
			return false
		}
	}
	return true
}

// bylineRE matches a byline: "By" (or its German, Portuguese, Spanish,
// Italian, French or Indonesian word) and one or more names, perhaps
// followed by a date, a time or a reading time after · or |.
var bylineRE = regexp.MustCompile(`^(?i:by|von|por|di|par|oleh|door)\s+(\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|de|da|do|dos|van|von|der|den|di|del|la|le|bin|al))*)(?:\s*(?:,|&|(?i:and|und|e|y|et|dan))\s*\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|de|da|van|von|der|di|del))*)*(?:\s*(?:[·|•,–—-])\s*.{0,80})?$`)

// isByline reports whether line is a byline standing alone, such as "By
// Stefan Becket, Kathryn Watson and Grace Segers" or "By Iris Penhale ·
// 2 December 2026 · 6 min read". A sentence ("By noon the rain had
// stopped.") is not one: a byline has no final full stop.
func isByline(line string) bool {
	line = strings.TrimSpace(line)
	if len(line) > 160 || endsSentence(line) && !strings.HasSuffix(line, "read") {
		return false
	}
	m := bylineRE.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	// The names part is at most six words: a longer run of capitals is
	// a headline.
	return len(strings.Fields(m[1])) <= 6
}

// creditRE matches a photo credit closing a caption: "(Image: GETTY)",
// "(credit: NASA/Jude Guidry)", "Photo: AP", or an agency's name glued to
// the caption's full stop ("…in New York.Reuters").
var creditRE = regexp.MustCompile(`(?:\((?i:image|photo|picture|pic|credit|credits|foto|bild)s?\s*:\s*[^()]{1,60}\)|[\p{Ll})][.!?](?:Reuters|AP|AFP|EPA|PA|Getty Images|Getty|Shutterstock|Alamy|Bloomberg|dpa|ANSA|Xinhua|Yonhap|Antara|NurPhoto|SOPA Images|Zuma Press|REX)(?:/[\p{L} ]{1,40})?)\s*$`)

// hasCredit reports whether a line ends with a photo credit, as captions
// do and article sentences do not.
func hasCredit(line string) bool {
	return len(line) <= maxBoilerplate*2 && creditRE.MatchString(line)
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

// baseDateWords are the words of datelines other than month and day
// names of languages other than English.
var baseDateWords = map[string]bool{
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
	// the small words of datelines in other languages: "18 de novembro
	// de 2019 às 14h32", "18. November 2019 um 14:32 Uhr", "pukul 14.32 WIB"
	"de": true, "às": true, "del": true, "las": true, "um": true, "uhr": true, "alle": true, "ore": true, "le": true, "à": true,
	"pukul": true, "wib": true, "wita": true, "wit": true, "kst": true, "입력": true, "수정": true, "기사입력": true, "년": true, "월": true, "일": true,
	"publicado": true, "atualizado": true, "em": true, "pubblicato": true, "aggiornato": true, "il": true, "veröffentlicht": true, "aktualisiert": true,
	"diterbitkan": true, "diperbarui": true, "publié": true, "mis": true, "jour": true,
}

// dateWords are the words a dateline is made of besides numbers.
var dateWords = func() map[string]bool {
	m := maps.Clone(baseDateWords)
	for w := range strings.SplitSeq(otherDateNames, "|") {
		m[w] = true
	}
	return m
}()

// dateMarkRE matches what makes numbers a date or time: a month or day
// name, a clock time or an ISO date.
var dateMarkRE = regexp.MustCompile(`(?:^|[^\p{L}])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|` + otherDateNames + `)(?:$|[^\p{L}])|\b\d{1,2}[:h]\d{2}\b|\d\s*[ap]\.?m\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{4}\.\s?\d{1,2}\.\s?\d{1,2}\b|\d{4}\s*년|\d{1,2}\s*월\s*\d{1,2}\s*일`)

// otherDateNames are month and day names of Portuguese, Spanish, German,
// Italian, French and Indonesian, lower-cased, as datelines in those
// languages write them.
const otherDateNames = `janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro|` +
	`segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira|sábado|domingo|` +
	`enero|febrero|marzo|mayo|junio|julio|septiembre|setiembre|octubre|noviembre|diciembre|lunes|martes|miércoles|jueves|viernes|` +
	`januar|jänner|februar|märz|juni|juli|oktober|dezember|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|` +
	`gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|lunedì|martedì|mercoledì|giovedì|venerdì|domenica|` +
	`janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|` +
	`januari|februari|maret|mei|juli|agustus|oktober|desember|senin|selasa|rabu|kamis|jumat|sabtu|minggu`

// publishedRE matches the words that introduce a publication date.
var publishedRE = regexp.MustCompile(`\b(?:published|updated|posted|publicado|atualizado|pubblicato|aggiornato|veröffentlicht|aktualisiert|diterbitkan|diperbarui)\b`)

// isDateline reports whether l, a lower-cased line, is only a date and
// time, perhaps with a word or two ("Updated", a place or an outlet).
func isDateline(l string) bool {
	if len(l) > 120 || !dateMarkRE.MatchString(l) || strings.IndexFunc(l, unicode.IsDigit) < 0 {
		return false
	}
	// "Detroit News wire services Published 11:11 PM EST": a line that
	// says when it was published, with no sentence around it.
	if publishedRE.MatchString(l) && len(strings.Fields(l)) <= 14 && !strings.HasSuffix(l, ".") {
		return true
	}
	if len(l) > 80 {
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

// isCapsDateline reports whether line is a byline and date set in
// capitals, as "VICTOR TANGERMANN, FUTURISM 18 NOV 2019": no lower-case
// letter, at most twelve words, a month or day name and a number, and at
// least two other words (a name, an outlet).
func isCapsDateline(line string) bool {
	if len(line) > 120 || len(strings.Fields(line)) > 12 || strings.IndexFunc(line, unicode.IsLower) >= 0 {
		return false
	}
	l := strings.ToLower(line)
	if !dateNameRE.MatchString(l) || strings.IndexFunc(line, unicode.IsDigit) < 0 {
		return false
	}
	names := 0
	for _, w := range strings.FieldsFunc(l, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if !dateWords[w] {
			names++
		}
	}
	return names >= 2
}

// dateNameRE matches a month or day name.
var dateNameRE = regexp.MustCompile(`(?:^|[^\p{L}])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|` + otherDateNames + `)(?:$|[^\p{L}])`)

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
