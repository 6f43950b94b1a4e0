package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		environ []string
		want    shard
		wantErr string
	}{
		{name: "first of three", in: "0/3", want: shard{0, 3}},
		{name: "last of three", in: "2/3", want: shard{2, 3}},
		{name: "one shard", in: "0/1", want: shard{0, 1}},
		{name: "auto", in: "auto/4", environ: []string{"JOB_COMPLETION_INDEX=3"}, want: shard{3, 4}},
		{name: "count only", in: "4", environ: []string{"JOB_COMPLETION_INDEX=0"}, want: shard{0, 4}},
		{name: "index out of range", in: "3/3", wantErr: "from 0 to 2"},
		{name: "negative index", in: "-1/3", wantErr: "from 0 to 2"},
		{name: "zero count", in: "0/0", wantErr: "N ≥ 1"},
		{name: "not a number", in: "a/b", wantErr: "want I/N"},
		{name: "auto without the Job's index", in: "auto/2", wantErr: "JOB_COMPLETION_INDEX is not set"},
		{name: "auto with a bad index", in: "auto/2", environ: []string{"JOB_COMPLETION_INDEX=2"}, wantErr: "from 0 to 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseShard(tt.in, tt.environ)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestShardOfIsStable pins the hash: hosts running different builds must
// agree on who is in which shard, and case must not matter.
func TestShardOfIsStable(t *testing.T) {
	tests := []struct {
		email string
		n     int
		want  int
	}{
		// FNV-1a 64 of the lower-cased address, mod n: pinned values.
		{"ada@example.com", 1000, 778},
		{"ADA@Example.COM", 1000, 778},
		{"grace@example.org", 1000, 141},
		{"user0000001@example.com", 1000, 876},
		{"user0000001@example.com", 3, 2},
		{"ada@example.com", 1, 0},
	}
	for _, tt := range tests {
		if got := shardOf(tt.email, tt.n); got != tt.want {
			t.Errorf("shardOf(%q, %d) = %d, want %d", tt.email, tt.n, got, tt.want)
		}
	}
	// The shards are about even.
	counts := make([]int, 4)
	for i := 1; i <= 4000; i++ {
		counts[shardOf(fmt.Sprintf("user%07d@example.com", i), 4)]++
	}
	for i, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("shard %d of 4 holds %d of 4000 addresses; want about 1000: %v", i, c, counts)
		}
	}
}

// TestShardedRunsCoverEveryoneOnce prepares one edition, then runs N shard
// runs, each with its own state as separate hosts would have, against one
// SMTP server: every subscriber gets exactly one message. A rerun of every
// shard sends nothing.
func TestShardedRunsCoverEveryoneOnce(t *testing.T) {
	const subscribers, shards = 200, 3
	f := newCrashFixture(t, subscribers, nil)
	edFile := filepath.Join(f.dir, "edition.json")
	var out bytes.Buffer
	prepEnv := append(f.environ(), "DIGEST_STATE="+filepath.Join(f.dir, "prepare.db"))
	if code := Main(context.Background(), &env{stdout: &out, stderr: &out, environ: prepEnv}, []string{"prepare", "--out", edFile}); code != 0 {
		t.Fatalf("prepare exited %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "edition 2026-11-29 (") {
		t.Errorf("prepare said:\n%s", out.String())
	}
	ed, err := readEditionFile(edFile)
	if err != nil {
		t.Fatal(err)
	}
	if ed.ID != "2026-11-29" || len(ed.Items) == 0 {
		t.Fatalf("edition file holds %q with %d items", ed.ID, len(ed.Items))
	}
	if n := f.srv.Count(); n != 0 {
		t.Fatalf("prepare sent %d messages", n)
	}

	// runShard runs digest run as host i, with its own state and no
	// sources: an edition file needs none.
	runShard := func(i int, extraEnv []string, args ...string) (int, string) {
		var out bytes.Buffer
		environ := append(f.environ(), "DIGEST_STATE="+filepath.Join(f.dir, fmt.Sprintf("host%d.db", i)),
			"DIGEST_SOURCES=/nonexistent/sources.txt")
		code := Main(context.Background(), &env{stdout: &out, stderr: &out, environ: append(environ, extraEnv...)},
			append([]string{"run", "--edition-file", edFile}, args...))
		return code, out.String()
	}
	sentByShard := make([]int, shards)
	for i := range shards {
		before := f.srv.Count()
		var code int
		var log string
		if i < shards-1 {
			code, log = runShard(i, nil, "--shard", fmt.Sprintf("%d/%d", i, shards))
		} else { // the last as a pod of an Indexed Job runs it
			code, log = runShard(i, []string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i)}, "--shard", fmt.Sprintf("auto/%d", shards))
		}
		if code != 0 {
			t.Fatalf("shard %d exited %d:\n%s", i, code, log)
		}
		sentByShard[i] = f.srv.Count() - before
	}
	got := map[string]int{}
	for _, m := range f.srv.Messages() {
		got[m.To[0]]++
	}
	for i := 1; i <= subscribers; i++ {
		addr := fmt.Sprintf("user%07d@example.com", i)
		if got[addr] != 1 {
			t.Errorf("%s received %d messages, want 1", addr, got[addr])
		}
	}
	if len(got) != subscribers {
		t.Errorf("%d addresses received mail, want %d", len(got), subscribers)
	}
	for i, n := range sentByShard {
		if n == 0 || n == subscribers {
			t.Errorf("shard %d sent %d of %d: the list is not split", i, n, subscribers)
		}
	}
	t.Logf("messages by shard: %v", sentByShard)

	// Every host froze the same edition, and a rerun sends nothing.
	for i := range shards {
		st, err := store.OpenReadOnly(context.Background(), filepath.Join(f.dir, fmt.Sprintf("host%d.db", i)))
		if err != nil {
			t.Fatal(err)
		}
		frozen, err := st.Edition(context.Background(), ed.ID)
		st.Close()
		if err != nil || frozen == nil {
			t.Fatalf("host %d: edition not frozen: %v", i, err)
		}
		if !slices.Equal(itemIDs(frozen), itemIDs(ed)) {
			t.Errorf("host %d froze other items than the file's", i)
		}
		code, log := runShard(i, nil, "--shard", fmt.Sprintf("%d/%d", i, shards))
		if code != 0 || !strings.Contains(log, "already delivered") {
			t.Errorf("rerun of shard %d exited %d:\n%s", i, code, log)
		}
	}
	if n := f.srv.Count(); n != subscribers {
		t.Errorf("%d messages after the reruns, want %d", n, subscribers)
	}
}

func TestRunEditionFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, v any) string {
		p := filepath.Join(dir, name)
		var b []byte
		switch v := v.(type) {
		case string:
			b = []byte(v)
		default:
			b, _ = json.Marshal(v)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := &digest.Edition{ID: "2026-11-29", Cadence: digest.CadenceDaily, Items: []digest.Item{{Article: digest.Article{ID: "a1", Title: "One"}}}}
	other := &digest.Edition{ID: "2026-11-29", Cadence: digest.CadenceDaily, Items: []digest.Item{{Article: digest.Article{ID: "b2", Title: "Two"}}}}
	goodFile, otherFile := write("good.json", good), write("other.json", other)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "missing file", args: []string{"--edition-file", filepath.Join(dir, "nope.json")}, want: "edition file: open"},
		{name: "not JSON", args: []string{"--edition-file", write("bad.json", "{")}, want: "edition file " + filepath.Join(dir, "bad.json")},
		{name: "no id", args: []string{"--edition-file", write("noid.json", digest.Edition{Cadence: "daily"})}, want: "no edition id"},
		{name: "other edition than --edition", args: []string{"--edition-file", goodFile, "--edition", "2026-11-30"}, want: "holds edition 2026-11-29, not 2026-11-30"},
		{name: "shard without edition file", args: []string{"--shard", "0/2"}, want: "--shard needs --edition-file"},
		{name: "bad shard", args: []string{"--edition-file", goodFile, "--shard", "2/2"}, want: "from 0 to 1"},
		{name: "a different issue under a frozen id", args: []string{"--edition-file", otherFile}, want: "frozen here with other articles"},
	}
	state := filepath.Join(dir, "digest.db")
	environ := []string{"DIGEST_STATE=" + state, "DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"),
		"DIGEST_SUBSCRIBERS=../../subscribers.example.csv", "DIGEST_TIMEZONE=UTC"}
	// Freeze the good edition on this host first.
	var out bytes.Buffer
	if code := Main(context.Background(), &env{stdout: &out, stderr: &out, environ: environ}, []string{"run", "--edition-file", goodFile}); code != 0 {
		t.Fatalf("run exited %d:\n%s", code, out.String())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code := Main(context.Background(), &env{stdout: &out, stderr: &out, environ: environ}, append([]string{"run"}, tt.args...))
			if code != exitUsage || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitUsage, tt.want, out.String())
			}
		})
	}
}
