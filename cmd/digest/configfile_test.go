package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{name: "empty", in: "", want: map[string]string{}},
		{name: "plain", in: "DIGEST_NAME=Cycling Weekly\n", want: map[string]string{"DIGEST_NAME": "Cycling Weekly"}},
		{name: "comments and blank lines", in: "# settings for cron\n\n  # indented comment\nDIGEST_QUIET=true\n",
			want: map[string]string{"DIGEST_QUIET": "true"}},
		{name: "trailing comment", in: "DIGEST_MAX_ITEMS=12 # a dozen\n", want: map[string]string{"DIGEST_MAX_ITEMS": "12"}},
		{name: "hash inside a word is kept", in: "DIGEST_SMTP_PASSWORD=pa#ss\n", want: map[string]string{"DIGEST_SMTP_PASSWORD": "pa#ss"}},
		{name: "double quotes", in: `DIGEST_FROM="The Digest <d@example.com>"`, want: map[string]string{"DIGEST_FROM": "The Digest <d@example.com>"}},
		{name: "single quotes keep a hash", in: "DIGEST_NAME='A # B'\n", want: map[string]string{"DIGEST_NAME": "A # B"}},
		{name: "export prefix", in: "export DIGEST_STATE=/var/lib/digest/digest.db\n", want: map[string]string{"DIGEST_STATE": "/var/lib/digest/digest.db"}},
		{name: "spaces around the sign", in: "DIGEST_LANG = de\n", want: map[string]string{"DIGEST_LANG": "de"}},
		{name: "empty value", in: "DIGEST_TEMPLATES=\n", want: map[string]string{"DIGEST_TEMPLATES": ""}},
		{name: "value with an equals sign", in: "DIGEST_SMTP_URL=smtp://h:25?tls=none\n", want: map[string]string{"DIGEST_SMTP_URL": "smtp://h:25?tls=none"}},
		{name: "CRLF line ends", in: "A=1\r\nB=2\r\n", want: map[string]string{"A": "1", "B": "2"}},
		{name: "later line wins", in: "A=1\nA=2\n", want: map[string]string{"A": "2"}},
		{name: "no equals sign", in: "# ok\nDIGEST_QUIET\n", wantErr: `digest.env:2: want KEY=value, got "DIGEST_QUIET"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDotenv(strings.NewReader(tt.in), "digest.env")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseDotenv (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigPrecedence checks the layers, lowest first: default, --config
// file, environment, flag.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "digest.env")
	if err := os.WriteFile(file, []byte("DIGEST_NAME=From File\nDIGEST_MAX_ITEMS=7\nDIGEST_WEEKLY_DAY=friday\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		environ  []string
		flags    map[string]string
		wantName string
		wantMax  int
		wantDay  string
	}{
		{name: "defaults without a file", wantName: "The Digest", wantMax: 20, wantDay: "monday"},
		{name: "file over defaults", environ: []string{"DIGEST_CONFIG=" + file}, wantName: "From File", wantMax: 7, wantDay: "friday"},
		{name: "--config flag", flags: map[string]string{"DIGEST_CONFIG": file}, wantName: "From File", wantMax: 7, wantDay: "friday"},
		{name: "environment over file", environ: []string{"DIGEST_CONFIG=" + file, "DIGEST_NAME=From Env", "DIGEST_MAX_ITEMS=9"},
			wantName: "From Env", wantMax: 9, wantDay: "friday"},
		{name: "empty environment variable hides the file (default)", environ: []string{"DIGEST_CONFIG=" + file, "DIGEST_WEEKLY_DAY="},
			wantName: "From File", wantMax: 7, wantDay: "monday"},
		{name: "flag over environment over file", environ: []string{"DIGEST_CONFIG=" + file, "DIGEST_NAME=From Env"},
			flags: map[string]string{"DIGEST_NAME": "From Flag"}, wantName: "From Flag", wantMax: 7, wantDay: "friday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags := tt.flags
			if flags == nil {
				flags = map[string]string{}
			}
			var warn bytes.Buffer
			cfg, err := loadConfig(tt.environ, flags, &warn)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Name != tt.wantName || cfg.MaxItems != tt.wantMax || cfg.Weekday != tt.wantDay {
				t.Errorf("got name %q, max items %d, weekly day %q; want %q, %d, %q", cfg.Name, cfg.MaxItems, cfg.Weekday, tt.wantName, tt.wantMax, tt.wantDay)
			}
			if warn.Len() > 0 {
				t.Errorf("unexpected warning: %s", warn.String())
			}
		})
	}
}

func TestConfigFileWarnsWhenSecretIsReadable(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		perm     os.FileMode
		wantWarn bool
	}{
		{name: "secret, world-readable", content: "DIGEST_SMTP_PASSWORD=hunter2\n", perm: 0o644, wantWarn: true},
		{name: "secret, group-readable", content: "DIGEST_SMTP_PASSWORD=hunter2\n", perm: 0o640, wantWarn: true},
		{name: "secret, private", content: "DIGEST_SMTP_PASSWORD=hunter2\n", perm: 0o600},
		{name: "no secret, world-readable", content: "DIGEST_NAME=Open\n", perm: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "digest.env")
			if err := os.WriteFile(file, []byte(tt.content), tt.perm); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(file, tt.perm); err != nil { // past the umask
				t.Fatal(err)
			}
			var warn bytes.Buffer
			if _, err := loadConfig([]string{"DIGEST_CONFIG=" + file}, map[string]string{}, &warn); err != nil {
				t.Fatal(err)
			}
			got := warn.String()
			if tt.wantWarn {
				want := "warning: " + file + " holds DIGEST_SMTP_PASSWORD and can be read by others (chmod 600 " + file + ")\n"
				if got != want {
					t.Errorf("warning = %q, want %q", got, want)
				}
				if strings.Contains(got, "hunter2") {
					t.Errorf("the warning shows the secret: %q", got)
				}
			} else if got != "" {
				t.Errorf("warning = %q, want none", got)
			}
		})
	}
}

// TestEditionWithLineBreak checks that an edition ID that would put a
// header into the Message-ID and a line into the log is refused before
// anything is sent or made.
func TestEditionWithLineBreak(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	environ := []string{"DIGEST_SOURCES=../../examples/sources.txt", "DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"), "DIGEST_OUTBOX=" + filepath.Join(dir, "outbox")}
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: environ},
		[]string{"run", "--edition", "x\r\nBcc: victim@example.com"})
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	want := `digest: config: DIGEST_EDITION: "x\r\nBcc: victim@example.com" is not an edition ID: want a date (2026-12-07), an ISO week (2026-W50) or a name of at most 64 letters, digits, '.', '_' or '-'` + "\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	for _, name := range []string{"digest.db", "outbox"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was made", name)
		}
	}
}
