package main

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// folds is the number of parts the evaluation sets are cut into for
// cross-validation: a setting is chosen on four folds and judged on the
// fifth, and every figure is also given as its mean and spread over the
// folds, so that a difference smaller than the spread is read as noise.
const folds = 5

// foldOf puts an article or page into one of the folds by a hash of its
// ID, so that the split does not depend on the order of the file.
func foldOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % folds)
}

// meanSD returns the mean and the sample standard deviation of xs.
func meanSD(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// meanSpread formats the mean ± standard deviation of per-fold figures.
func meanSpread(xs []float64, format string) string {
	m, sd := meanSD(xs)
	return fmt.Sprintf(format+" ± "+strings.Replace(format, "+", "", 1), m, sd)
}
