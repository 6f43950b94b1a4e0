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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}
