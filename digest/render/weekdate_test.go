package render

import (
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// TestEditionDateOfWeeklyEditions: a weekly edition is dated by its week,
// not by the day it was made (issue 14).
func TestEditionDateOfWeeklyEditions(t *testing.T) {
	made := time.Date(2026, time.December, 9, 6, 30, 0, 0, time.UTC) // a Wednesday
	now := func() time.Time { return made }
	for _, tt := range []struct {
		name string
		ed   digest.Edition
		want string
	}{
		{"a day", digest.Edition{ID: "2026-12-07", Cadence: digest.CadenceDaily, Created: made}, "7 December 2026"},
		{"a week", digest.Edition{ID: "2026-W50", Cadence: digest.CadenceWeekly, Created: made}, "Week 50 (7–13 December 2026)"},
		{"a week over two months", digest.Edition{ID: "2026-W49", Cadence: digest.CadenceWeekly}, "Week 49 (30 November – 6 December 2026)"},
		{"a week over two years", digest.Edition{ID: "2026-W53", Cadence: digest.CadenceWeekly}, "Week 53 (28 December 2026 – 3 January 2027)"},
		{"week 1 starting in the year before", digest.Edition{ID: "2026-W01", Cadence: digest.CadenceWeekly}, "Week 1 (29 December 2025 – 4 January 2026)"},
		{"a weekly edition with a dated ID", digest.Edition{ID: "2026-12-13", Cadence: digest.CadenceWeekly}, "Week 50 (7–13 December 2026)"},
		{"a weekly edition with a name", digest.Edition{ID: "holiday-special", Cadence: digest.CadenceWeekly, Created: made}, "Week 50 (7–13 December 2026)"},
		{"a daily edition with a name", digest.Edition{ID: "holiday-special", Cadence: digest.CadenceDaily}, "9 December 2026"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := editionDate(&tt.ed, now); got != tt.want {
				t.Errorf("editionDate(%s) = %q, want %q", tt.ed.ID, got, tt.want)
			}
		})
	}
}
