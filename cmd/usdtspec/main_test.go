package main

import (
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/usdtspec/usdtspec/internal/elfbuild"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"usdtspec": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar. $PROBES is the folder of the
// committed probe binaries, $HEADER the file bpf/usdt.bpf.h; the mkelf
// command writes synthetic ELF files. The condition [userns] holds when
// unshare(1) can make a user, mount and PID namespace, so that a command
// run under it is PID 1; [root] when the scripts run as root (conform
// loads BPF), [sdt] when gcc builds programs with <sys/sdt.h>.
func TestScripts(t *testing.T) {
	probes, err := filepath.Abs("../../testdata/bin")
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := filepath.Abs("../../bpf/usdt.bpf.h")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "../../testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PROBES", probes)
			env.Setenv("HEADER", hdr)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "userns":
				return userNamespaces(), nil
			case "root":
				return os.Geteuid() == 0, nil
			case "sdt":
				return haveSDT(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkelf": mkelf,
		},
	})
}

// haveSDT reports whether gcc can build a program with <sys/sdt.h>,
// for the scripts that build conformance cases.
var haveSDT = sync.OnceValue(func() bool {
	return exec.Command("sh", "-c", "echo '#include <sys/sdt.h>' | gcc -E - >/dev/null 2>&1").Run() == nil
})

// userNamespaces reports whether unshare is installed and may make the
// namespaces the PID-1 script needs (a kernel or container may forbid
// unprivileged user namespaces).
var userNamespaces = sync.OnceValue(func() bool {
	return exec.Command("unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "true").Run() == nil
})

func TestVersionLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "usdtspec (unknown version) built with " + runtime.Version()},
		{"checkout", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}},
			"usdtspec (devel) built with go1.26.1"},
		{"release", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.3.0"}},
			"usdtspec v0.3.0 built with go1.26.1"},
		{"vcs", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "082cc0b816affee1f824d5dc492d935c7167e601"}, {Key: "vcs.modified", Value: "false"}}},
			"usdtspec (devel) built with go1.26.1 from git revision 082cc0b816affee1f824d5dc492d935c7167e601"},
		{"vcs modified", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.3.1-0.20260101000000-082cc0b816af+dirty"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "082cc0b816affee1f824d5dc492d935c7167e601"}, {Key: "vcs.modified", Value: "true"}}},
			"usdtspec v0.3.1-0.20260101000000-082cc0b816af+dirty built with go1.26.1 from git revision 082cc0b816affee1f824d5dc492d935c7167e601 (modified)"},
		{"test binary", &debug.BuildInfo{}, "usdtspec (unknown version) built with " + runtime.Version()},
	} {
		if got := versionLine(tc.info); got != tc.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

var machines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "s390x": elf.EM_S390, "ppc64": elf.EM_PPC64,
}

// mkelf FILE MACHINE [-32] [-be] [-base ADDR] [-code ADDR:HEX]... NOTE...
//
// NOTE is provider:name:pc:semaphore:args (pc and semaphore in hex, args
// may contain blanks when quoted). The text segment is 0x401000..0x402000
// at file offset 0xb0 (0x80 for -32), the data segment 0x404000..0x404100.
// An amd64 text is one-byte nops, what sys/sdt.h puts at a call site;
// -code writes other bytes at an address of the text.
func mkelf(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mkelf FILE MACHINE [-32] [-be] [-base ADDR] [-code ADDR:HEX]... NOTE...")
	}
	out, m := args[0], args[1]
	f := elfbuild.File{Class: elf.ELFCLASS64, Order: binary.LittleEndian, Type: elf.ET_DYN,
		TextAddr: 0x401000, TextSize: 0x1000, DataAddr: 0x404000, DataSize: 0x100}
	var ok bool
	if f.Machine, ok = machines[m]; !ok {
		ts.Fatalf("mkelf: unknown machine %q", m)
	}
	var notes []elfbuild.Note
	code := map[uint64][]byte{}
	rest := args[2:]
	for len(rest) > 0 {
		a := rest[0]
		rest = rest[1:]
		switch a {
		case "-32":
			f.Class = elf.ELFCLASS32
		case "-be":
			f.Order = binary.BigEndian
		case "-base":
			v, err := strconv.ParseUint(rest[0], 0, 64)
			ts.Check(err)
			f.StapsdtBase = &v
			rest = rest[1:]
		case "-code":
			addr, hexBytes, ok := strings.Cut(rest[0], ":")
			a, err := strconv.ParseUint(addr, 0, 64)
			ts.Check(err)
			b, err := hex.DecodeString(hexBytes)
			ts.Check(err)
			if !ok || a < f.TextAddr || a+uint64(len(b)) > f.TextAddr+f.TextSize {
				ts.Fatalf("mkelf: -code %q: want ADDR:HEX inside the text", rest[0])
			}
			code[a] = b
			rest = rest[1:]
		default:
			parts := strings.SplitN(a, ":", 5)
			if len(parts) != 5 {
				ts.Fatalf("mkelf: note %q: want provider:name:pc:semaphore:args", a)
			}
			pc, err := strconv.ParseUint(parts[2], 0, 64)
			ts.Check(err)
			sema, err := strconv.ParseUint(parts[3], 0, 64)
			ts.Check(err)
			var base uint64
			if f.StapsdtBase != nil {
				base = *f.StapsdtBase
			}
			notes = append(notes, elfbuild.Note{PC: pc, Base: base, Semaphore: sema, Provider: parts[0], Name: parts[1], Arguments: parts[4]})
		}
	}
	var raw []byte
	for _, n := range notes {
		raw = elfbuild.AppendNote(raw, f.Class, f.Order, n)
	}
	f.Notes = raw
	b := f.Bytes()
	textOff := uint64(0xb0)
	if f.Class == elf.ELFCLASS32 {
		textOff = 0x80
	}
	text := b[textOff : textOff+f.TextSize]
	if f.Machine == elf.EM_X86_64 {
		for i := range text {
			text[i] = 0x90
		}
	}
	for a, c := range code {
		copy(text[a-f.TextAddr:], c)
	}
	ts.Check(os.WriteFile(ts.MkAbs(out), b, 0o644))
}
