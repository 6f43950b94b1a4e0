package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestReadInputRefusesTooLarge(t *testing.T) {
	for _, tt := range []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"at the cap", maxInput, false},
		{"one byte over", maxInput + 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{stdin: io.LimitReader(bytes.NewReader(bytes.Repeat([]byte("a"), tt.size)), int64(tt.size))}
			in, err := readInput(context.Background(), e, "-")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "larger than 10 MiB") {
					t.Fatalf("err = %v, want a size refusal", err)
				}
				return
			}
			if err != nil || len(in.Body) != tt.size {
				t.Fatalf("read %d bytes, err %v; want all %d", len(in.Body), err, tt.size)
			}
		})
	}
}
