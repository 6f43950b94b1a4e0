package subscriber

import (
	"hash/maphash"
	"strings"
)

// An addressSet remembers the addresses seen in one pass over a list, to
// find duplicates, without holding the addresses: it keeps a 64-bit hash of
// each lower-cased address and the line it was first seen on.
//
// The trade-off: a Go map of uint64 to uint32 takes about 20 to 40 bytes an
// entry (so 20 to 40 MB for a million subscribers, against about 60 MB or
// more for the strings themselves), and two different addresses share a
// hash with a probability of about n²/2⁶⁵: 3 in 100 million for a million
// rows. Such a collision reports the later row as a duplicate of the
// earlier one and skips it; it can never mail anyone twice. The seed is
// random for each pass, so a collision does not repeat on the next run.
type addressSet struct {
	seed  maphash.Seed
	lines map[uint64]uint32
}

func newAddressSet() *addressSet {
	return &addressSet{seed: maphash.MakeSeed(), lines: map[uint64]uint32{}}
}

// add records addr, first seen on line, and reports whether it was there
// already and on which line it was first seen.
func (s *addressSet) add(addr string, line int) (first int, dup bool) {
	h := maphash.String(s.seed, strings.ToLower(addr))
	if l, ok := s.lines[h]; ok {
		return int(l), true
	}
	s.lines[h] = uint32(line)
	return line, false
}
