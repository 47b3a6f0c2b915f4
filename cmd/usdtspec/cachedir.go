package main

import "github.com/usdtspec/usdtspec/internal/cachedir"

// cacheDir is the default of a cache folder flag: elem under
// $USDTSPEC_CACHE (default ~/.cache/usdtspec), as the Makefile has it.
func cacheDir(elem ...string) string { return cachedir.Path(elem...) }
