//go:build unix

package store

import (
	"os"
	"syscall"
)

// links returns the number of names (hard links) of the file fi describes.
func links(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Nlink)
	}
	return 1
}
