package subscriber

import (
	"fmt"
	"testing"
)

func TestAddressSet(t *testing.T) {
	s := newAddressSet()
	const n = 10_000 // several doublings
	for i := range n {
		if first, dup := s.add(fmt.Sprintf("user%d@example.com", i), i+2); dup {
			t.Fatalf("address %d: duplicate of line %d, want new", i, first)
		}
	}
	for i := range n {
		first, dup := s.add(fmt.Sprintf("USER%d@Example.com", i), n+i+2)
		if !dup || first != i+2 {
			t.Fatalf("address %d again: got (%d, %t), want (%d, true)", i, first, dup, i+2)
		}
	}
}
