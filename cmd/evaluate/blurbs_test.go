package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The evaluation script, where the repository sits beside the shared
// evaluation data.
const blurbsScript = "../../../shared/eval/blurbs.py"

// scriptScore is what blurbs.py prints.
type scriptScore struct {
	blurbScore
	Rate float64 `json:"clean_rate"`
}

// runScript runs blurbs.py on a ground truth file and a folder of blurbs,
// or skips the test where python3 or the script is missing.
func runScript(t *testing.T, truth, out string) scriptScore {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if _, err := os.Stat(blurbsScript); err != nil {
		t.Skip("no evaluation script beside the repository")
	}
	b, err := exec.Command(py, blurbsScript, truth, out).Output()
	if err != nil {
		t.Fatalf("blurbs.py: %v", err)
	}
	var s scriptScore
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("blurbs.py printed %q: %v", b, err)
	}
	return s
}

// TestScoreBlurbsGolden scores hand-made blurbs with one defect of each
// kind the script knows (a sentence cut at "ID.", one starting mid-way,
// an open quote, a caption glued on, empty and missing blurbs) and some
// that only look like defects (CRLF lines, ß against SS, a ligature,
// Korean, balanced brackets). testdata/blurbs/want.json is the script's
// own output, made with
//
//	python3 ../shared/eval/blurbs.py ground-truth.json out > want.json
//
// in testdata/blurbs; where python3 and the script are at hand, the test
// runs it again.
func TestScoreBlurbsGolden(t *testing.T) {
	dir := filepath.Join("testdata", "blurbs")
	truth, err := readGroundTruth(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	blurbs, err := readBlurbs(filepath.Join(dir, "out"), truth)
	if err != nil {
		t.Fatal(err)
	}
	got, defects := scoreBlurbs(truth, blurbs)
	b, err := os.ReadFile(filepath.Join(dir, "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want scriptScore
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.blurbScore, got); diff != "" {
		t.Errorf("score differs from want.json (-want +got):\n%s\ndefects: %q", diff, defects)
	}
	t.Run("script", func(t *testing.T) {
		s := runScript(t, filepath.Join(dir, "ground-truth.json"), filepath.Join(dir, "out"))
		if diff := cmp.Diff(s.blurbScore, got); diff != "" {
			t.Errorf("score differs from blurbs.py (-script +go):\n%s", diff)
		}
	})
}

// TestBlurbsMatchScriptOnDevPages writes the summarizer's blurbs of the
// development pages and checks that blurbs.py gives them the figure this
// port gives. It needs the evaluation data and python3, and is skipped in
// -short mode.
func TestBlurbsMatchScriptOnDevPages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := filepath.Join("..", "..", defaultPages)
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no development pages beside the repository")
	}
	truth, blurbs, err := pageBlurbs(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := writeBlurbs(out, blurbs); err != nil {
		t.Fatal(err)
	}
	got, _ := scoreBlurbs(truth, blurbs)
	s := runScript(t, filepath.Join(dir, "ground-truth.json"), out)
	if diff := cmp.Diff(s.blurbScore, got); diff != "" {
		t.Errorf("score differs from blurbs.py (-script +go):\n%s", diff)
	}
	t.Logf("%d of %d clean", got.Clean, got.Pages)
}
