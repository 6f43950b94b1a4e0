package main

import "strings"

// nearest returns the name among known that name is most likely a typo
// of, or "" when none is close: at most one edit for short names, and at
// most a third of the name's length for longer ones. An edit is a letter
// inserted, removed, changed, or two neighbours swapped (SMPT for SMTP).
// Case is ignored.
func nearest(name string, known []string) string {
	name = strings.ToUpper(name)
	best, bestDist := "", max(1, len(name)/3)+1
	for _, k := range known {
		if d := editDistance(name, strings.ToUpper(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// didYouMean returns "; did you mean X?" for the nearest known name, or "".
func didYouMean(name string, known []string) string {
	if n := nearest(name, known); n != "" {
		return "; did you mean " + n + "?"
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b,
// in bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
