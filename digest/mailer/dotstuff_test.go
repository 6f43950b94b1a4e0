package mailer

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"
)

// dotWriterOutput is what net/textproto's DotWriter makes of b.
func dotWriterOutput(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	w := textproto.NewWriter(bw).DotWriter()
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func FuzzAppendDotStuffed(f *testing.F) {
	for _, s := range []string{
		"", ".", "..", "a", "a\r\n", "a\n", ".a\r\n.b\r\n", "a\r\n.\r\n", "a\r\n\r\n.", "\r", "a\rb\r\n", "\n.\n", "x\r\n.\r\nend",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := appendDotStuffed(nil, b)
		want := dotWriterOutput(t, b)
		if !bytes.Equal(got, want) {
			t.Errorf("appendDotStuffed(%q) = %q, want %q (textproto's DotWriter)", b, got, want)
		}
	})
}
