package bpf

import (
	"bytes"
	"os"
	"testing"
)

// Header is the file on disk, and a caller's changes to it do not reach
// the next caller.
func TestHeader(t *testing.T) {
	disk, err := os.ReadFile(HeaderName)
	if err != nil {
		t.Fatal(err)
	}
	h := Header()
	if !bytes.Equal(h, disk) {
		t.Fatalf("Header() is not %s on disk (%d bytes, want %d)", HeaderName, len(h), len(disk))
	}
	h[0] ^= 0xff
	if !bytes.Equal(Header(), disk) {
		t.Fatal("Header() returned the embedded bytes, not a copy")
	}
}
