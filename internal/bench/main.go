// Command bench times `usdtspec dump` against `readelf -n --wide` on the
// same files in the same run and prints the ratios. Files: synthetic ELFs
// with 100,000 and 1,000,000 probes, and the largest files of the Debian
// corpus in $CORPUS_DIR (by size and by probe count), when it is there.
//
//	go run ./internal/bench [-n 5] [-usdtspec bin/usdtspec]
package main

import (
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usdtspec/usdtspec/compiler"
	"github.com/usdtspec/usdtspec/internal/elfbuild"
)

func main() {
	runs := flag.Int("n", 5, "runs per command; the median is reported")
	tool := flag.String("usdtspec", "bin/usdtspec", "usdtspec binary")
	dir := flag.String("dir", "build/bench", "where synthetic files are written")
	flag.Parse()
	log.SetFlags(0)
	if _, err := exec.LookPath("readelf"); err != nil {
		log.Fatal("readelf (binutils) is needed as the peer")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		log.Fatal("GNU time (/usr/bin/time, Debian package time) is needed to measure peak RSS")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	var files []string
	for _, n := range []int{100_000, 1_000_000} {
		p := filepath.Join(*dir, fmt.Sprintf("synthetic-%d.elf", n))
		if err := os.WriteFile(p, synthetic(n), 0o644); err != nil {
			log.Fatal(err)
		}
		files = append(files, p)
	}
	files = append(files, corpusFiles(os.Getenv("CORPUS_DIR"))...)

	fmt.Printf("%-58s %9s %7s %12s %12s %7s %12s %12s\n", "file", "MB", "probes", "usdtspec", "readelf", "ratio", "usdtspec RSS", "readelf RSS")
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			log.Fatal(err)
		}
		cf, err := compiler.Open(f)
		if err != nil {
			log.Fatal(err)
		}
		ours, rss := timeCmd(*runs, *tool, "dump", f)
		peer, peerRSS := timeCmd(*runs, "readelf", "-n", "--wide", f)
		fmt.Printf("%-58s %9.1f %7d %12v %12v %6.2fx %9.1f MB %9.1f MB\n", shorten(f), float64(st.Size())/1e6, len(cf.Probes),
			ours.Round(time.Microsecond), peer.Round(time.Microsecond), float64(peer)/float64(ours), float64(rss)/1024, float64(peerRSS)/1024)
	}
	fmt.Println("ratio = readelf time / usdtspec time (above 1: usdtspec is faster); medians of", *runs, "runs, output to /dev/null")
}

// timeCmd runs a command n times with stdout to /dev/null and returns the
// median wall time and the largest peak RSS (KiB). The RSS comes from GNU
// time, which forks the command itself: a child of this process would
// inherit this process's RSS high-water mark through exec.
func timeCmd(n int, name string, args ...string) (time.Duration, int64) {
	var times []time.Duration
	var rss int64
	out, err := os.CreateTemp("", "bench-rss-")
	if err != nil {
		log.Fatal(err)
	}
	out.Close()
	defer os.Remove(out.Name())
	for range n {
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", out.Name(), name}, args...)...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			log.Fatalf("%s %v: %v", name, args, err)
		}
		times = append(times, time.Since(start))
		b, _ := os.ReadFile(out.Name())
		kb, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		rss = max(rss, kb)
	}
	slices.Sort(times)
	return times[len(times)/2], rss
}

// synthetic builds an x86-64 ELF with n call sites whose arguments use
// every operand kind.
func synthetic(n int) []byte {
	order := binary.LittleEndian
	args := []string{"-4@%edi 8@-8(%rbp)", "-2@(%rcx,%rdi,2) -4@$5 8@%rax", "8@16(%rsp) -1@%cl 4@%r8d -8@$-9", ""}
	var notes []byte
	base := uint64(0x402000)
	for i := range n {
		notes = elfbuild.AppendNote(notes, elf.ELFCLASS64, order, elfbuild.Note{
			PC: 0x401000 + uint64(i%0x1000), Base: base, Provider: "bench",
			Name: fmt.Sprintf("probe_%d", i%1000), Arguments: args[i%len(args)],
		})
	}
	f := elfbuild.File{Class: elf.ELFCLASS64, Order: order, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
		TextAddr: 0x401000, TextSize: 0x1000, DataAddr: 0x404000, DataSize: 0x100, StapsdtBase: &base, Notes: notes}
	return f.Bytes()
}

// corpusFiles picks the largest corpus file and the one with the most
// probes among the architectures usdtspec supports.
func corpusFiles(dir string) []string {
	if dir == "" {
		return nil
	}
	var bySize, byProbes string
	var maxSize int64
	maxProbes := 0
	filepath.WalkDir(filepath.Join(dir, "x"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		f, err := compiler.Open(p)
		if err != nil || f.Arch == nil || len(f.Probes) == 0 {
			return nil
		}
		info, _ := d.Info()
		if info.Size() > maxSize {
			maxSize, bySize = info.Size(), p
		}
		if len(f.Probes) > maxProbes {
			maxProbes, byProbes = len(f.Probes), p
		}
		return nil
	})
	if bySize == "" {
		fmt.Fprintf(os.Stderr, "no corpus under %s (make corpus); timing synthetic files only\n", dir)
		return nil
	}
	if bySize == byProbes {
		return []string{bySize}
	}
	return []string{bySize, byProbes}
}

func shorten(p string) string {
	if len(p) > 58 {
		return "…" + p[len(p)-57:]
	}
	return p
}
