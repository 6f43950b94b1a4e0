package summary

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "The cat sat. The dog ran! Did it? Yes.",
			[]string{"The cat sat.", "The dog ran!", "Did it?", "Yes."}},
		{"titles", "Mr. Smith met Dr. Jones and Mrs. Brown in St. Louis. They talked.",
			[]string{"Mr. Smith met Dr. Jones and Mrs. Brown in St. Louis.", "They talked."}},
		{"dotted acronym inside", "The U.S. Senate voted. The U.K. government did not.",
			[]string{"The U.S. Senate voted.", "The U.K. government did not."}},
		{"dotted acronym at the end", "He moved to the U.S. The move was hard.",
			[]string{"He moved to the U.S.", "The move was hard."}},
		{"e.g. and i.e.", "Bring fruit, e.g. Apples or pears. Or not, i.e. Nothing.",
			[]string{"Bring fruit, e.g. Apples or pears.", "Or not, i.e. Nothing."}},
		{"month before a day", "It opened on Jan. 5 and closed on Sept. 30. Nobody came.",
			[]string{"It opened on Jan. 5 and closed on Sept. 30.", "Nobody came."}},
		{"number sign", "He is ranked No. 1 in the world. She is No. 2.",
			[]string{"He is ranked No. 1 in the world.", "She is No. 2."}},
		{"decimals and money", "Growth was 3.5 per cent. Shares rose $1.25 to $10.50 on Friday.",
			[]string{"Growth was 3.5 per cent.", "Shares rose $1.25 to $10.50 on Friday."}},
		{"initials", "George W. Bush met J. K. Rowling. Then he left.",
			[]string{"George W. Bush met J. K. Rowling.", "Then he left."}},
		{"quote closes the sentence", `He said: "We will win." Then the crowd cheered.`,
			[]string{`He said: "We will win."`, "Then the crowd cheered."}},
		{"single quotes, Daily Mail style", "He said: 'It was awful.' 'We ran,' she said. Police came.",
			[]string{"He said: 'It was awful.'", "'We ran,' she said.", "Police came."}},
		{"curly quotes", "“It is over.” The match ended.",
			[]string{"“It is over.”", "The match ended."}},
		{"question in quotes before lower case", `"Why?" he asked. Nobody knew.`,
			[]string{`"Why?" he asked.`, "Nobody knew."}},
		{"ellipsis mid-sentence", "Well... maybe not. Wait… No way. Then… it came.",
			[]string{"Well... maybe not.", "Wait…", "No way.", "Then… it came."}},
		{"ellipsis ends", "And then... The end came.",
			[]string{"And then...", "The end came."}},
		{"company and etc.", "He works for Acme Inc. The firm makes pans, pots, etc. It is small.",
			[]string{"He works for Acme Inc.", "The firm makes pans, pots, etc.", "It is small."}},
		{"company inside", "Apple Inc. Chief Tim Cook spoke.",
			[]string{"Apple Inc. Chief Tim Cook spoke."}},
		{"times", "It starts at 9 a.m. The doors open at 8.30 a.m. sharp.",
			[]string{"It starts at 9 a.m.", "The doors open at 8.30 a.m. sharp."}},
		{"blank line is a boundary", "Breaking news\n\nThe storm hit at dawn.\nIt was big.",
			[]string{"Breaking news", "The storm hit at dawn.", "It was big."}},
		{"url and email survive", "See example.com/a.html for more. Write to a.b@example.org today.",
			[]string{"See example.com/a.html for more.", "Write to a.b@example.org today."}},
		{"bracket closes", "The vote passed (narrowly.) Critics objected.",
			[]string{"The vote passed (narrowly.)", "Critics objected."}},
		{"lower case after full stop", "The figure was 5 vs. 3 in favour. the end",
			[]string{"The figure was 5 vs. 3 in favour. the end"}},
		{"empty", "  \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Mr. Smith went to Washington. He said “hi.” Then… 3.5 U.S. e.g. Jan. 5")
	f.Fuzz(func(t *testing.T, s string) {
		for _, sent := range Split(s) {
			if sent == "" {
				t.Fatalf("Split(%q) returned an empty sentence", s)
			}
		}
	})
}

func TestSplitCaptions(t *testing.T) {
	tests := []struct {
		name, in string
		want     []piece
	}{
		{"caption glued to a sentence",
			"Haul: The cherry picker on the roof in Liverpool The amount of drugs is so high.",
			[]piece{{"Haul: The cherry picker on the roof in Liverpool", true}, {"The amount of drugs is so high.", false}}},
		{"two captions", "Fans hold flares on the roof He scratches his head after the match But play resumed.",
			[]piece{{"Fans hold flares on the roof", true}, {"He scratches his head after the match", true}, {"But play resumed.", false}}},
		{"a name after a preposition", "He scored at The Hawthorns on Saturday.", []piece{{"He scored at The Hawthorns on Saturday.", false}}},
		{"a title in capitals", `It replaced "The Times They Are A-Changin" as the anthem.`, []piece{{`It replaced "The Times They Are A-Changin" as the anthem.`, false}}},
		{"after punctuation", "He said so, The end.", []piece{{"He said so, The end.", false}}},
		{"last word", "Go and see The", []piece{{"Go and see The", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, splitCaptions(tt.in), cmp.AllowUnexported(piece{})); diff != "" {
				t.Errorf("splitCaptions(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestSplitOtherLanguages checks abbreviations that do not end sentences
// in German, Portuguese and Italian, and sentences in Korean, whose
// letters have no case.
func TestSplitOtherLanguages(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"German bzw.", "Die Preise steigen um fünf bzw. Sechs Prozent. Das gilt ab Januar.",
			[]string{"Die Preise steigen um fünf bzw. Sechs Prozent.", "Das gilt ab Januar."}},
		{"German z. B.", "Viele Städte, z. B. Berlin, sperren die Straßen. Der Verkehr staut sich.",
			[]string{"Viele Städte, z. B. Berlin, sperren die Straßen.", "Der Verkehr staut sich."}},
		{"Portuguese Sra.", "A Sra. Lima apresentou o projeto. Todos aplaudiram.",
			[]string{"A Sra. Lima apresentou o projeto.", "Todos aplaudiram."}},
		{"Italian Dott.", "Il Dott. Rossi ha parlato ieri. Nessuno ha risposto.",
			[]string{"Il Dott. Rossi ha parlato ieri.", "Nessuno ha risposto."}},
		{"Korean", "서울시는 새 정책을 발표했다. 시민들은 환영했다. 다만 비용이 문제다.",
			[]string{"서울시는 새 정책을 발표했다.", "시민들은 환영했다.", "다만 비용이 문제다."}},
		{"model name with a dot", "Volkswagen showed the ID.3 in Frankfurt. It goes on sale next year.",
			[]string{"Volkswagen showed the ID.3 in Frankfurt.", "It goes on sale next year."}},
		{"company and month", "Pacific Gas & Electric Co. cut power on Nov. 20 to 375,000 people. Crews patrolled the lines.",
			[]string{"Pacific Gas & Electric Co. cut power on Nov. 20 to 375,000 people.", "Crews patrolled the lines."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Split(tt.in)); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
