package subscriber

import (
	"hash/maphash"
	"strings"
)

// An addressSet remembers the addresses seen in one pass over a list, to
// find duplicates, without holding the addresses: it keeps a 64-bit hash of
// each lower-cased address and the line it was first seen on, in an
// open-addressing table (linear probing, at most 3/4 full, doubled when
// full).
//
// The trade-off: it takes 12 to 24 bytes an address (25 MB for a million
// rows, plus the old table for a moment while it doubles), against about
// 70 MB for a map of the strings themselves; but two different addresses
// share a hash with a probability of about n²/2⁶⁵: 3 in 100 million for a
// million rows. Such a collision reports the later row as a duplicate of
// the earlier one and skips it; it can never mail anyone twice. The seed is
// random for each pass, so a collision does not repeat on the next run.
// Lines past 4,294,967,295 are remembered as that number.
type addressSet struct {
	seed  maphash.Seed
	n     int
	hash  []uint64 // 0 marks an empty slot
	lines []uint32
}

func newAddressSet() *addressSet {
	return &addressSet{seed: maphash.MakeSeed(), hash: make([]uint64, 1024), lines: make([]uint32, 1024)}
}

// add records addr, first seen on line, and reports whether it was there
// already and on which line it was first seen.
func (s *addressSet) add(addr string, line int) (first int, dup bool) {
	h := maphash.String(s.seed, strings.ToLower(addr))
	if h == 0 {
		h = 1
	}
	i := s.slot(h)
	if s.hash[i] == h {
		return int(s.lines[i]), true
	}
	s.hash[i] = h
	s.lines[i] = uint32(min(line, 1<<32-1))
	s.n++
	if s.n > len(s.hash)/4*3 {
		s.grow()
	}
	return line, false
}

// slot returns the index of h in the table, or of the empty slot where it
// belongs.
func (s *addressSet) slot(h uint64) int {
	mask := uint64(len(s.hash) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		if s.hash[i] == h || s.hash[i] == 0 {
			return int(i)
		}
	}
}

// grow doubles the table.
func (s *addressSet) grow() {
	old, oldLines := s.hash, s.lines
	s.hash = make([]uint64, 2*len(old))
	s.lines = make([]uint32, 2*len(old))
	for j, h := range old {
		if h != 0 {
			i := s.slot(h)
			s.hash[i], s.lines[i] = h, oldLines[j]
		}
	}
}
