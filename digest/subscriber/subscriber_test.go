package subscriber

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
	"github.com/google/go-cmp/cmp"
)

// readAll reads a whole list and returns the subscribers and the error
// messages, in order.
func readAll(t *testing.T, list digest.SubscriberList) ([]digest.Subscriber, []string) {
	t.Helper()
	var subs []digest.Subscriber
	var errs []string
	for sub, err := range list.Subscribers(t.Context()) {
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		subs = append(subs, sub)
	}
	return subs, errs
}

func emails(subs []digest.Subscriber) []string {
	var out []string
	for _, s := range subs {
		out = append(out, s.Email)
	}
	return out
}

const head = "email,name,status,topics,cadence,timezone\n"

func TestBadRows(t *testing.T) {
	long := strings.Repeat("a", 65)
	tests := []struct {
		name string
		row  string
		want string
	}{
		{"two at signs", "bob@@example.com,Bob,,,,", `subscribers.csv:3: email: "bob@@example.com" is not a valid address (more than one @)`},
		{"no at", "bob.example.com,Bob,,,,", `subscribers.csv:3: email: "bob.example.com" is not a valid address (no @)`},
		{"empty", ",Bob,,,,", `subscribers.csv:3: email: "" is not a valid address (empty)`},
		{"space", `"bob smith@example.com",Bob,,,,`, `subscribers.csv:3: email: "bob smith@example.com" is not a valid address (contains a space)`},
		{"control", "\"bob\x01@example.com\",Bob,,,,", `subscribers.csv:3: email: "bob\x01@example.com" is not a valid address (contains a control character)`},
		{"right-to-left override", "bob\u202Emoc.elpmaxe@example.com,Bob,,,,", `subscribers.csv:3: email: "bob\u202emoc.elpmaxe@example.com" is not a valid address (contains the invisible character U+202E)`},
		{"zero-width space", "b\u200Bob@example.com,Bob,,,,", `subscribers.csv:3: email: "b\u200bob@example.com" is not a valid address (contains the invisible character U+200B)`},
		{"domain without dot", "bob@localhost,Bob,,,,", `subscribers.csv:3: email: "bob@localhost" is not a valid address (domain has no dot)`},
		{"nothing before at", "@example.com,Bob,,,,", `subscribers.csv:3: email: "@example.com" is not a valid address (nothing before the @)`},
		{"nothing after at", "bob@,Bob,,,,", `subscribers.csv:3: email: "bob@" is not a valid address (no domain after the @)`},
		{"double dot", "bob..smith@example.com,Bob,,,,", `subscribers.csv:3: email: "bob..smith@example.com" is not a valid address (misplaced dot before the @)`},
		{"domain double dot", "bob@example..com,Bob,,,,", `subscribers.csv:3: email: "bob@example..com" is not a valid address (misplaced dot in the domain)`},
		{"domain hyphen", "bob@-example.com,Bob,,,,", `subscribers.csv:3: email: "bob@-example.com" is not a valid address (domain label starts or ends with a hyphen)`},
		{"angle brackets", "<bob@example.com>,Bob,,,,", `subscribers.csv:3: email: "<bob@example.com>" is not a valid address ('<' not allowed before the @)`},
		{"address literal", "bob@[192.0.2.1],Bob,,,,", `subscribers.csv:3: email: "bob@[192.0.2.1]" is not a valid address ('[' not allowed in the domain)`},
		{"numeric domain", "bob@192.0.2.1,Bob,,,,", `subscribers.csv:3: email: "bob@192.0.2.1" is not a valid address (domain ends in a number)`},
		{"local part too long", long + "@example.com,Bob,,,,", `subscribers.csv:3: email: "` + long + `@example.com" is not a valid address (local part longer than 64 characters)`},
		{"too long", "bob@" + strings.Repeat("abcdefghi.", 25) + "com,Bob,,,,", `subscribers.csv:3: email: "bob@` + strings.Repeat("abcdefghi.", 25) + `com" is not a valid address (longer than 254 characters)`},
		{"duplicate", "ADA@example.com,Ada again,,,,", `subscribers.csv:3: email: "ADA@example.com" is a duplicate of line 2`},
		{"too few fields", "bob@example.com,Bob", `subscribers.csv:3: too few fields (2, want 6)`},
		{"too many fields", "bob@example.com,Bob,,,,,extra", `subscribers.csv:3: too many fields (7, want 6)`},
		{"unknown status", "bob@example.com,Bob,paused,,,", `subscribers.csv:3: status: "paused" is not a status (want active, unsubscribed or bounced)`},
		{"unknown cadence", "bob@example.com,Bob,,,monthly,", `subscribers.csv:3: cadence: "monthly" is not a cadence (want daily or weekly)`},
		{"unknown time zone", "bob@example.com,Bob,,,,Mars/Olympus", `subscribers.csv:3: timezone: "Mars/Olympus" is not a known time zone`},
		{"local time zone", "bob@example.com,Bob,,,,Local", `subscribers.csv:3: timezone: "Local" is not a known time zone`},
		{"bare quote", `bob@example.com,Bob "B" Smith,,,,`, `subscribers.csv:3:21: bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := head + "ada@example.com,Ada,,,,\n" + tt.row + "\ngrace@example.org,Grace,,,,\n"
			subs, errs := readAll(t, NewReader(strings.NewReader(in), "subscribers.csv"))
			if diff := cmp.Diff([]string{tt.want}, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if got, want := emails(subs), []string{"ada@example.com", "grace@example.org"}; !cmp.Equal(got, want) {
				t.Errorf("subscribers = %q, want %q", got, want)
			}
		})
	}
}

func TestBadRowIsInputError(t *testing.T) {
	in := head + "bob@@example.com,Bob,,,,\n"
	for _, err := range NewReader(strings.NewReader(in), "s.csv").Subscribers(t.Context()) {
		var ie *digest.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error %v is %T, want *digest.InputError", err, err)
		}
		if got, want := *ie, (digest.InputError{File: "s.csv", Line: 2, Field: "email", Err: ie.Err}); got != want {
			t.Errorf("InputError = %+v, want %+v", got, want)
		}
	}
}

func TestGoodAddresses(t *testing.T) {
	for _, addr := range []string{
		"ada@example.com",
		"Ada.Lovelace+digest@mail.example.co.uk",
		"o'brien@example.ie",
		"x@a-b.example",
		"jürgen@müller.de",
		strings.Repeat("a", 64) + "@example.com",
	} {
		t.Run(addr, func(t *testing.T) {
			if err := CheckAddress(addr); err != nil {
				t.Errorf("CheckAddress(%q) = %v, want nil", addr, err)
			}
		})
	}
}

func TestStreamEndingErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{"no email column", "name,status\nAda,active\n", "s.csv:1: no email column in the header (columns: name, status)", ErrNoEmailColumn},
		{"empty file", "", "s.csv:1: empty file: no email column in the header", ErrNoEmailColumn},
		{"column twice", "email,Name,name\na@example.com,A,B\n", `s.csv:1: "name": column named twice in the header`, ErrDuplicateColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for sub, err := range NewReader(strings.NewReader(tt.in), "s.csv").Subscribers(t.Context()) {
				n++
				if err == nil {
					t.Fatalf("got subscriber %+v, want only an error", sub)
				}
				if got := err.Error(); got != tt.want {
					t.Errorf("error = %q, want %q", got, tt.want)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("errors.Is(%v, %v) = false", err, tt.wantErr)
				}
				var ie *digest.InputError
				if errors.As(err, &ie) {
					t.Errorf("stream-ending error is a *digest.InputError; the pipeline would take it for a skipped row")
				}
			}
			if n != 1 {
				t.Errorf("yielded %d values, want 1", n)
			}
		})
	}
}

func TestFileMissing(t *testing.T) {
	f := &File{Path: filepath.Join(t.TempDir(), "nope.csv")}
	_, errs := readAll(t, f)
	if len(errs) != 1 || !strings.Contains(errs[0], "nope.csv") {
		t.Errorf("errors = %q, want one naming nope.csv", errs)
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var last error
	n := 0
	for _, err := range NewReader(strings.NewReader(head+"a@example.com,A,,,,\n"), "s.csv").Subscribers(ctx) {
		n++
		last = err
	}
	if n != 1 || !errors.Is(last, context.Canceled) {
		t.Errorf("got %d values, last %v; want only context.Canceled", n, last)
	}
}

func TestFormats(t *testing.T) {
	ada := digest.Subscriber{Email: "ada@example.com", Name: "Ada Lovelace", Status: "active", Cadence: "daily", Line: 2}
	grace := digest.Subscriber{Email: "grace@example.org", Name: "Grace Hopper", Cadence: "weekly", Timezone: "America/New_York", Line: 3}
	tests := []struct {
		name string
		in   string
		want []digest.Subscriber
	}{
		{"plain", "email,name,status,cadence,timezone\nada@example.com,Ada Lovelace,active,daily,\ngrace@example.org,Grace Hopper,,weekly,America/New_York\n",
			[]digest.Subscriber{ada, grace}},
		{"BOM and CRLF", "\uFEFFemail,name,status,cadence,timezone\r\nada@example.com,Ada Lovelace,active,daily,\r\ngrace@example.org,Grace Hopper,,weekly,America/New_York\r\n",
			[]digest.Subscriber{ada, grace}},
		{"semicolon", "email;name;status;cadence;timezone\nada@example.com;Ada Lovelace;active;daily;\ngrace@example.org;Grace Hopper;;weekly;America/New_York",
			[]digest.Subscriber{ada, grace}},
		{"tab", "email\tname\tstatus\tcadence\ttimezone\nada@example.com\tAda Lovelace\tactive\tdaily\t\ngrace@example.org\tGrace Hopper\t\tweekly\tAmerica/New_York\n",
			[]digest.Subscriber{ada, grace}},
		{"header case and spaces, values trimmed", " EMAIL , Name ,Status,CADENCE,TimeZone\n ada@example.com , Ada Lovelace ,ACTIVE,Daily,\ngrace@example.org,Grace Hopper,,weekly,America/New_York\n",
			[]digest.Subscriber{ada, grace}},
		{"quoted newline", "email,name,status,cadence,timezone\nada@example.com,\"Ada\nLovelace\",active,daily,\ngrace@example.org,Grace Hopper,,weekly,America/New_York\n",
			[]digest.Subscriber{{Email: "ada@example.com", Name: "Ada Lovelace", Status: "active", Cadence: "daily", Line: 2}, {Email: "grace@example.org", Name: "Grace Hopper", Cadence: "weekly", Timezone: "America/New_York", Line: 4}}},
		{"quoted delimiter and quotes", "email,name,status,cadence,timezone\nada@example.com,\"Lovelace, Ada \"\"the Countess\"\"\",active,daily,\n",
			[]digest.Subscriber{{Email: "ada@example.com", Name: `Lovelace, Ada "the Countess"`, Status: "active", Cadence: "daily", Line: 2}}},
		{"blank lines", "email,name,status,cadence,timezone\n\nada@example.com,Ada Lovelace,active,daily,\n,,,,\n  \ngrace@example.org,Grace Hopper,,weekly,America/New_York\n\n",
			[]digest.Subscriber{{Email: "ada@example.com", Name: "Ada Lovelace", Status: "active", Cadence: "daily", Line: 3}, {Email: "grace@example.org", Name: "Grace Hopper", Cadence: "weekly", Timezone: "America/New_York", Line: 6}}},
		{"email only", "email\nada@example.com\n", []digest.Subscriber{{Email: "ada@example.com", Line: 2}}},
		{"status kept", "email,status\nada@example.com,unsubscribed\ngrace@example.org,Bounced\n",
			[]digest.Subscriber{{Email: "ada@example.com", Status: "unsubscribed", Line: 2}, {Email: "grace@example.org", Status: "bounced", Line: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readAll(t, NewReader(strings.NewReader(tt.in), "s.csv"))
			if len(errs) > 0 {
				t.Errorf("errors: %q", errs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("subscribers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTopics(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"semicolons", "a@example.com,go;rust", []string{"go", "rust"}},
		{"pipes and spaces", "a@example.com,go | rust  zig", []string{"go", "rust", "zig"}},
		{"quoted commas", `a@example.com,"go, rust"`, []string{"go", "rust"}},
		{"repeated", "a@example.com,go;go", []string{"go"}},
		{"empty", "a@example.com,", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs, errs := readAll(t, NewReader(strings.NewReader("email,topics\n"+tt.in+"\n"), "s.csv"))
			if len(errs) > 0 || len(subs) != 1 {
				t.Fatalf("got %d subscribers, errors %q; want 1, none", len(subs), errs)
			}
			if got := subs[0].Topics; !cmp.Equal(got, tt.want) {
				t.Errorf("Topics = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAttrs(t *testing.T) {
	in := "email,name,Company,Plan , \nada@example.com,Ada,Analytical Engines,pro,ignored\ngrace@example.org,Grace,,free,\n"
	subs, errs := readAll(t, NewReader(strings.NewReader(in), "s.csv"))
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	var got []map[string]string
	for _, s := range subs {
		got = append(got, s.Attrs)
	}
	want := []map[string]string{
		{"company": "Analytical Engines", "plan": "pro"},
		{"company": "", "plan": "free"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Attrs (-want +got):\n%s", diff)
	}
}

func TestExampleFile(t *testing.T) {
	subs, errs := readAll(t, &File{Path: "../../subscribers.example.csv"})
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	if len(subs) != 4 {
		t.Errorf("got %d subscribers, want 4", len(subs))
	}
	for _, s := range subs {
		if !s.Mailable() || s.Cadence != digest.CadenceDaily || len(s.Topics) > 0 || s.Name == "" {
			t.Errorf("example subscriber %+v: want mailable, daily, named, no topics", s)
		}
	}
}

func TestGenerate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.csv")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(fh, 3); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	subs, errs := readAll(t, &File{Path: path})
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	want := []string{"user0000001@example.com", "user0000002@example.com", "user0000003@example.com"}
	if got := emails(subs); !cmp.Equal(got, want) {
		t.Errorf("emails = %q, want %q", got, want)
	}
	if got, want := subs[1].Attrs["company"], "Company 2"; got != want {
		t.Errorf("company = %q, want %q", got, want)
	}
}

func TestEarlyStop(t *testing.T) {
	in := head + "a@example.com,A,,,,\nb@example.com,B,,,,\n"
	n := 0
	for range NewReader(strings.NewReader(in), "s.csv").Subscribers(t.Context()) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("n = %d, want 1", n)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestCheckGolden checks the report of a list with one of each problem
// against testdata/check.golden; go test -update rewrites it.
func TestCheckGolden(t *testing.T) {
	s, errs := Check(t.Context(), &File{Path: "testdata/check.csv"})
	var buf bytes.Buffer
	if err := WriteReport(&buf, s, errs); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "check.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	wantSummary := Summary{Rows: 16, Invalid: 10, Mailable: 4, Unsubscribed: 1, Bounced: 1, Weekly: 1, WithTopics: 2}
	if diff := cmp.Diff(wantSummary, s); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestCheckStopped(t *testing.T) {
	s, errs := Check(t.Context(), NewReader(strings.NewReader("name\nAda\n"), "s.csv"))
	var buf bytes.Buffer
	if err := WriteReport(&buf, s, errs); err != nil {
		t.Fatal(err)
	}
	want := "subscribers: 0 rows: 0 mailable (0 weekly, 0 with topics), 0 unsubscribed, 0 bounced, 0 invalid\n" +
		"s.csv:1: no email column in the header (columns: name)\n" +
		"subscribers: the list was not read to the end\n"
	if got := buf.String(); got != want {
		t.Errorf("report = %q, want %q", got, want)
	}
}

func TestKeepDuplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.csv")
	if err := os.WriteFile(path, []byte("email\nann@example.com\nANN@example.com\nbob@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		keep bool
		want int // rows yielded without error
	}{{false, 2}, {true, 3}} {
		got := 0
		for _, err := range (&File{Path: path, KeepDuplicates: tt.keep}).Subscribers(context.Background()) {
			if err == nil {
				got++
			}
		}
		if got != tt.want {
			t.Errorf("KeepDuplicates=%v: %d good rows, want %d", tt.keep, got, tt.want)
		}
	}
}

// TestNotUTF8 checks that a list saved as Latin-1 is reported row by row,
// naming the line and the field, with the advice to save it as UTF-8, and
// that no byte of it reaches a subscriber.
func TestNotUTF8(t *testing.T) {
	in := "email,name,company\n" +
		"ann@example.com,Ann,ACME\n" +
		"j\xfcrgen@example.de,J\xfcrgen,M\xfcller GmbH\n" +
		"cy@example.org,Cy,Caf\xe9 Cy\n" +
		"dora@example.org,\"Dora M\xfcller\",\n" +
		"eve@example.org,Eve,\n"
	subs, errs := readAll(t, NewReader(strings.NewReader(in), "subscribers.csv"))
	if got, want := emails(subs), []string{"ann@example.com", "eve@example.org"}; !cmp.Equal(got, want) {
		t.Errorf("subscribers %q, want %q", got, want)
	}
	want := []string{
		`subscribers.csv:3: email: not UTF-8: "j\xfcrgen@example.de" has the byte 0xFC; save the file as UTF-8 (in Excel: "CSV UTF-8")`,
		`subscribers.csv:4: company: not UTF-8: "Caf\xe9 Cy" has the byte 0xE9; save the file as UTF-8 (in Excel: "CSV UTF-8")`,
		`subscribers.csv:5: name: not UTF-8: "Dora M\xfcller" has the byte 0xFC; save the file as UTF-8 (in Excel: "CSV UTF-8")`,
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}

	_, errs = readAll(t, NewReader(strings.NewReader("email,stra\xdfe\nann@example.com,x\n"), "s.csv"))
	if len(errs) != 1 || !strings.Contains(errs[0], `s.csv:1: column 2: not UTF-8: "stra\xdfe" has the byte 0xDF`) {
		t.Errorf("header not UTF-8: errors %q", errs)
	}
}

// TestNamesCleaned checks that a name and the extra columns are one clean
// line, capped: nothing hidden reaches the To header or a template.
func TestNamesCleaned(t *testing.T) {
	huge := strings.Repeat("Bartholomew ", 100000)
	in := "email,name,company\n" +
		"ann@example.com,\"Ann\x00 Smith\u202E\",\"ACME\u200B Ltd\r\nLondon\"\n" +
		"bart@example.com," + huge + ",\n"
	subs, errs := readAll(t, NewReader(strings.NewReader(in), "s.csv"))
	if len(errs) > 0 || len(subs) != 2 {
		t.Fatalf("subscribers %v, errors %q", emails(subs), errs)
	}
	if got, want := subs[0].Name, "Ann Smith"; got != want {
		t.Errorf("name %q, want %q", got, want)
	}
	if got, want := subs[0].Attrs["company"], "ACME Ltd London"; got != want {
		t.Errorf("company %q, want %q", got, want)
	}
	if got := subs[1].Name; len([]rune(got)) > digest.MaxName || !strings.HasSuffix(got, "Bartholomew…") {
		t.Errorf("a name of %d characters became %d: %q…", len(huge), len([]rune(got)), got[:40])
	}
}
