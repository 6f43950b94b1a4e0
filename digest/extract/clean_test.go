package extract

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"entities", "Fish &amp; chips &mdash; &#8220;fresh&#x201D; &nbsp;today", "Fish & chips — “fresh” today"},
		{"double escaped", "Tom &amp;amp; Jerry &amp;lt;b&amp;gt;", "Tom & Jerry"},
		{"tags", "<p>One <b>bold</b> word.</p><p>Two.</p>", "One bold word.\n\nTwo."},
		{"citation markers", "Paris is the capital.[1] It is large,[2][3] old[citation needed] and busy.[12, 14]", "Paris is the capital. It is large, old and busy."},
		{"bracket kept when standalone", "See [1] for details on a [b] test.", "See [1] for details on a [b] test."},
		{"white space", "  One \t two\u00a0three\u200b.  \r\n\r\n\r\n\n Four.  ", "One two three.\n\nFour."},
		{"soft hyphen", "extra\u00adordinary", "extraordinary"},
		{"line breaks kept", "first line\nsecond line", "first line\nsecond line"},
		{"boilerplate lines", "Skip to content\nTable of Contents\nThe story begins.\nShare this article\nAdvertisement\n\nIt ends.\nSubscribe to our newsletter\nThis website uses cookies to improve your experience. Accept", "The story begins.\n\nIt ends."},
		{"boilerplate words inside prose kept", "We subscribe to the view that advertisement works.", "We subscribe to the view that advertisement works."},
		{"empty", "  \n\n ", ""},
		{"angle brackets in prose", "The play &lt;The Palace: Jang Noksu&gt; runs until <i>May</i>; see <My Notes>.", "The play <The Palace: Jang Noksu> runs until May; see <My Notes>."},
		{"word and custom tags", "<o:p>Text</o:p><my-widget data-x=1>more</my-widget>", "Text more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBoilerplateLines(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"Skip to content", true},
		{"Table of Contents", true},
		{"Share this article", true},
		{"Click to share on Twitter (Opens in new window)", true},
		{"Subscribe to our newsletter", true},
		{"Get breaking news alerts delivered to your inbox.", true},
		{"ADVERTISEMENT", true},
		{"Story continues below advertisement", true},
		{"We use cookies to give you the best experience on our website.", true},
		{"Image copyright Reuters", true},
		{"Image 3 of 5", true},
		{"Nov. 20, 2019 6:02 AM EST", true},
		{"Updated 12:24 am EST, Wednesday, November 20, 2019", true},
		{"Phil Helsel is a reporter for NBC News.", true},
		{"Associated Press writers Alan Fram and Zeke Miller contributed to this report.", true},
		{"© Lucy Nicholson Detainees at the detention center.", true},
		{"* * *", true},
		{"Yikes.", false},
		{"Sign up for a Hulu ad-free account for $11.99 a month", false},
		{"Register to vote by Tuesday.", false},
		{"Sign up for our daily briefing", true},
		{"Palm Bay 18 22 13 17 — 70", false},
		{"$5.9 million", false},
		{"$5.95 million", false},
		{"Posted 10.30 a.m., 5 May", true},
		{"Copyright law protects the expression of an idea, not the idea itself.", false},
		{"Copyright 2019 Hawaii News Now. All rights reserved.", true},
		{"The company said it would share the results with regulators in March 2020.", false},
		{"Netflix now has 150 million subscribers, up from 130 million a year ago.", false},
		{"On 12 May 2019 the council met.", false},
		{"Advertising revenue fell by 12 percent in the third quarter.", false},
		{"She is a reporter for the local paper, and she broke the story in 2018 after months of work on the case.", false},
		// Page furniture of issue 15: bylines and datelines, reading
		// times, disclosures, credits, captions, breadcrumbs.
		{"VICTOR TANGERMANN, FUTURISM 18 NOV 2019", true},
		{"2018.04.05 ~ OPEN RUN", false},
		{"First published in 1851, the newspaper is one of the oldest in the state.", false},
		{"Unemployment rose to 5.1 percent in October, the highest in two years (source: Eurostat)", false},
		{"Detroit News wire services Published 11:11 PM EST Nov 20, 2019", true},
		{"Sioux Falls Argus Leader Published 10:02 AM EST Nov 19, 2019", true},
		{"By Stefan Becket, Kathryn Watson, Grace Segers", true},
		{"By Iris Penhale · 2 December 2026 · 6 min read", true},
		{"By noon the river had risen three metres.", false},
		{"Tempo de leitura: 1 minuto", true},
		{"Tempo de leitura: 2 minutos", true},
		{"Lesezeit: ca. 3 Minuten", true},
		{"5 min read", true},
		{"This post may contain affiliate links.", true},
		{"As an Amazon Associate we earn from qualifying purchases.", true},
		{"Home of the Daily and Sunday Express", true},
		{"Originally published on The Conversation.", true},
		{"This article originally appeared on Vox.", true},
		{"CLICK FOR MORE ON THE ROYAL FAMILY", true},
		{"Home > News > World > Europe", true},
		{"News / Politics / Elections", true},
		{"The Duke of York at a charity event in London last year (Image: GETTY)", true},
		{"A man walks past a closed shop in Manhattan, New York.Reuters", true},
		{"Enlarge Image The core stage of the rocket at the assembly plant.", true},
		{"Cover image: a kestrel on the silo ledge at dawn", true},
		{"The core stage of the first SLS at Michoud after the installation of its four engines. (credit: NASA/Jude Guidry)", true},
		{"Copyright ⓒ Entermedia.co.kr. 무단전재 및 재배포 금지", true},
		{"Todos os direitos reservados.", true},
		{"The talks failed on Wednesday, and both delegations left Geneva.", false},
		{"He said the price of a 5 min call had doubled.", false},
		{"The ID.3 goes on sale in Europe next year, Volkswagen said on Nov. 4.", false},
		{"Reporters asked whether the companies would cut prices before the holidays (they did not).", false},
		// Datelines in the other languages of the sets.
		{"18 de novembro de 2019 às 14h32", true},
		{"Publicado em 18/11/2019 - 14:32 Atualizado em 18/11/2019 - 15:10", true},
		{"Montag, 18. November 2019, 14:32 Uhr", true},
		{"lunedì 18 novembre 2019", true},
		{"Senin, 18 November 2019 14:32 WIB", true},
		{"입력 2019.11.18 14:32", true},
		{"2019년 11월 18일 14:32", true},
		{"Am Montag, 18. November 2019, stimmte der Bundestag über das Gesetz ab.", false},
		{"O governo anunciou em 18 de novembro de 2019 um novo plano para as escolas públicas do estado.", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if got := isBoilerplate(tt.line); got != tt.want {
				t.Errorf("isBoilerplate(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}
