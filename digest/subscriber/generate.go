package subscriber

import (
	"bufio"
	"fmt"
	"io"
)

// Generate writes a subscriber list of n rows for benchmarks and load
// tests. Row i (from 1) is user%07d@example.com, named "User %07d", active,
// daily, in the UTC time zone, with a company attribute; no topics, so
// every row is mailed. The output is the same for the same n.
func Generate(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("email,name,status,topics,cadence,timezone,company\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(bw, "user%07d@example.com,User %07d,active,,daily,UTC,Company %d\n", i, i, i%100)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("generate subscribers: %w", err)
	}
	return nil
}
