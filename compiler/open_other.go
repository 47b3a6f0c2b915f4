//go:build !unix

package compiler

import "os"

// openNonblock: no FIFO to wait on outside Unix.
const openNonblock = 0

func clearNonblock(*os.File) error { return nil }

// fileOwner: no uid outside Unix; the ownership checks of debug files
// (debugfile.go) are skipped there.
func fileOwner(os.FileInfo) (uint32, bool) { return 0, false }
