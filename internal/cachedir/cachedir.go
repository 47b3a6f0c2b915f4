// Package cachedir names the folder of usdtspec's caches, the Makefile's
// USDTSPEC_CACHE: the Debian corpus (corpus), the guest kernels
// (vm/kernels), the private package roots (vm/roots), the oracle's libbpf
// builds (oracle) and bpftrace's sid root (bpftrace). It lies outside the
// repository, so that every clone on a machine shares it.
package cachedir

import (
	"os"
	"path/filepath"
)

// Path is elem under $USDTSPEC_CACHE, or else under usdtspec in the
// user's cache folder (os.UserCacheDir: $XDG_CACHE_HOME, or ~/.cache),
// as the Makefile has it.
func Path(elem ...string) string {
	dir := os.Getenv("USDTSPEC_CACHE")
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil { // neither $XDG_CACHE_HOME nor $HOME
			c = os.TempDir()
		}
		dir = filepath.Join(c, "usdtspec")
	}
	return filepath.Join(append([]string{dir}, elem...)...)
}
