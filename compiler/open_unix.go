//go:build unix

package compiler

import (
	"os"
	"syscall"
)

// openNonblock is O_NONBLOCK: open(2) of a FIFO without it waits for a
// writer, forever when there is none, before fstat could say what the
// file is.
const openNonblock = syscall.O_NONBLOCK

// clearNonblock puts a file opened with openNonblock back into blocking
// mode once fstat said it is regular. Reads of regular files ignore
// O_NONBLOCK on Linux, but not every file system promises that (FUSE,
// NFS with mandatory locks), and the file is read as an ordinary one.
func clearNonblock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}

// fileOwner is the uid that owns the file fi describes.
func fileOwner(fi os.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
