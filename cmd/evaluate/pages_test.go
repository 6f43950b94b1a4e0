package main

import (
	"math"
	"testing"
)

func TestShingleScore(t *testing.T) {
	tests := []struct {
		name, want, got string
		p, r            float64
		pOK, rOK        bool
	}{
		{"case matters", "One two three four five.", "one two three four five", 0.5, 0.5, true, true},
		{"same text", "Alpha beta gamma delta epsilon.", "Alpha, beta; gamma delta epsilon!", 1, 1, true, true},
		{"one changed", "a b c d e", "a b c d x", 0.5, 0.5, true, true},
		{"extra text", "a b c d", "a b c d e f g", 0.25, 1, true, true},
		{"repeats count", "a b c d a b c d", "a b c d", 1, 0.2, true, true},
		{"nothing extracted", "a b c d", "", 0, 0, false, true},
		{"short texts", "a b", "a b", 1, 1, true, true},
		{"unicode words", "Ça va très bien", "Ça va tr s bien", 0, 0, true, true},
		{"unicode same", "Ça va très bien", "Ça va très bien.", 1, 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, pOK, r, rOK := precisionRecall(shingleScore(tt.want, tt.got))
			if pOK != tt.pOK || rOK != tt.rOK || math.Abs(p-tt.p) > 1e-9 || math.Abs(r-tt.r) > 1e-9 {
				t.Errorf("precision, recall = %.3f (%v), %.3f (%v); want %.3f (%v), %.3f (%v)", p, pOK, r, rOK, tt.p, tt.pOK, tt.r, tt.rOK)
			}
		})
	}
}
