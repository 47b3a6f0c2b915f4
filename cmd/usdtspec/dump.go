package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/usdtspec/usdtspec/arch"
	"github.com/usdtspec/usdtspec/compiler"
)

type dumpOptions struct {
	json   bool
	probes []string // "provider:name", each part a path.Match pattern; none: every call site
	layout compiler.Layout
	read   compiler.Options
}

const dumpHelp = `List every USDT call site of each ELF FILE (executable or shared library):
one place in the code where a probe (PROVIDER:NAME) fires; a probe may have
many. For each: the probe, its pc, uprobe file offset, .stapsdt.base,
semaphore and its file offset, the instruction at the pc (x86), the note's
argument string, each argument decoded (kind, size, sign, registers with
their pt_regs offsets) and the libbpf spec it compiles to, in hex, cookie 0.
Flags may come before or after the files; -- ends the flags.

Exit status: 0 when every file was read (argument and call-site errors are
reported, not fatal), 1 when a file could not be read (the others are still
dumped), 2 for usage errors.

JSON (--json): {"files": [FILE...]}, one object per file read:
  path, machine, class (32 or 64), byte_order (little, big),
  type (EXEC, DYN, ...), spec_layout (the layout the file's specs need:
  v1.7+usdtspec only when one needs the extension), debug_file (when symbols came from
  one), debug_file_errors [string...] (debug files found but not used, and
  why; only when there are some), note_errors [string...],
  call_sites [CALL SITE...]
CALL SITE: provider, name, note_index, pc, file_offset, base, semaphore,
  semaphore_offset, insn, insn_bytes (hex), nop_combo, insn_error,
  args (the note's argument string), arguments [ARGUMENT...],
  spec (hex; empty when the call site cannot be encoded), error
ARGUMENT: operand, size, signed, float, kind (const, reg, deref, sib,
  and usdtspec's index, tls),
  reg, reg_offset, index_reg, index_reg_offset, scale, offset, value,
  symbol, symbol_address (for symbolic operands), error
A semaphore of 0 means none; an error of "" means none.`

func dump(args []string, stdout, stderr io.Writer) int {
	var opts dumpOptions
	layoutName := compiler.LayoutUsdtspec.Name
	strict := false
	fs := newFlags("dump", "[flags] FILE...", dumpHelp, []flagDef{
		{name: "json", usage: "print one JSON document (keys below) instead of the table", value: &boolFlag{p: &opts.json}},
		{name: "probe", usage: "only the call sites of probe `PROVIDER:NAME`; each part may be a " +
			"path.Match glob (*, ?, [a-z]). Repeatable: a call site of any of the probes is listed", value: &listFlag{p: &opts.probes}},
		{name: "spec-layout", usage: "the libbpf spec `LAYOUT` the specs are encoded in: v1.7 (libbpf 1.7 on) " +
			"or v1.6 (libbpf 0.8 to 1.6; no SIB operands), or v1.7+usdtspec (the default: v1.7 with usdtspec's " +
			"extensions, for this module's usdt.bpf.h; each spec line names the layout it needs)", value: &stringFlag{p: &layoutName}},
		{name: "strict", usage: "libbpf's all-or-nothing: no spec for a call site with an argument that does not compile " +
			"(v1.7+usdtspec becomes v1.7)", value: &boolFlag{p: &strict}},
		{name: "debug-dir", usage: "look for the separate debug files of stripped files in `DIR`, " +
			"by build-id (DIR/.build-id/NN/....debug) or by .gnu_debuglink name with its CRC32, " +
			"for the symbols of symbolic operands. Repeatable; default /usr/lib/debug", value: &listFlag{p: &opts.read.DebugDirs}},
	})
	files, status, done := fs.parse(args, stdout, stderr)
	if done {
		return status
	}
	if len(files) == 0 {
		return fs.usageError(stderr, "no FILE given")
	}
	var ok bool
	if opts.layout, ok = compiler.LayoutByName(layoutName); !ok {
		return fs.usageError(stderr, "unknown --spec-layout %q (want v1.7+usdtspec, v1.7 or v1.6)", layoutName)
	}
	if strict {
		opts.layout = opts.layout.Strict()
	}
	for _, p := range opts.probes {
		if err := compiler.CheckProbePattern(p); err != nil {
			return fs.usageError(stderr, "--probe: %v", err)
		}
	}

	w := bufio.NewWriterSize(stdout, 1<<16)
	// flush writes out what the files so far printed, so that it comes
	// before whatever a later file says on stderr; false when stdout
	// failed (a full disk, a closed pipe), said on stderr: a dump cut
	// short must not exit 0.
	flush := func() bool {
		if err := w.Flush(); err != nil {
			fmt.Fprintf(stderr, "usdtspec: write error: %v\n", err)
			return false
		}
		return true
	}
	var jw *jsonDocWriter
	if opts.json {
		jw = &jsonDocWriter{w: w}
	}
	for _, name := range files {
		st, ok := dumpFile(w, jw, stderr, name, &opts)
		if !ok {
			status = exitFailure
		}
		if st == exitFailure || !flush() {
			return exitFailure
		}
	}
	if opts.json {
		jw.end()
		if !flush() {
			return exitFailure
		}
	}
	return status
}

// dumpFile dumps one file; ok is false when it could not be read, and
// status exitFailure when the dump must stop (its output is cut short).
//
// The call sites are not held (a file of a million would take 150 MB):
// a first pass over the notes counts them and finds the layout, the
// debug file and the note errors, which the table's and the JSON's
// header say before any call site, and a second prints them.
func dumpFile(w *bufio.Writer, jw *jsonDocWriter, stderr io.Writer, name string, o *dumpOptions) (status int, ok bool) {
	s, err := compiler.OpenStream(name, &o.read)
	if err != nil {
		fmt.Fprintf(stderr, "usdtspec: %s\n", printable(err.Error()))
		return 0, false
	}
	defer s.Close()
	f := s.File
	n := 0
	extended := false
	// The first pass keeps the call sites of a file with few: the second
	// then walks them instead of reading and compiling the notes again.
	var kept keptSites
	if err := s.Walk(func(p *compiler.CallSite) bool {
		if o.selects(p) {
			n++
			if n <= keptCallSites {
				kept.add(p)
			}
		}
		extended = extended || o.layout.For(p.Arguments) != o.layout.Strict()
		return true
	}); err != nil {
		fmt.Fprintf(stderr, "usdtspec: %s\n", printable(err.Error()))
		return 0, false
	}
	layout := o.layout.Strict()
	if extended {
		layout = o.layout
	}
	for _, ne := range f.NoteErrors {
		fmt.Fprintf(stderr, "usdtspec: %s: %s\n", printable(name), printable(ne.Error()))
	}
	walk := s.Walk
	if n <= keptCallSites {
		walk = kept.walk
	}
	if o.json {
		err = jw.file(f, walk, layout, o)
	} else {
		err = writeTable(w, f, walk, n, o)
	}
	if err != nil {
		// Part of the file is printed: what follows would not fit.
		w.Flush()
		fmt.Fprintf(stderr, "usdtspec: %s\n", printable(err.Error()))
		return exitFailure, false
	}
	return 0, true
}

// keptCallSites is how many call sites dumpFile keeps between its two
// passes (at about 150 bytes each, plus their shared arguments): files
// with more are read twice, so that memory does not grow with them. A
// variable, so that tests can make every file take the two-pass path.
var keptCallSites = 4096

// keptSites holds call sites in chunks: appending to one slice would
// leave each smaller copy behind, and in a process that ends before its
// first garbage collection every byte allocated is a page touched.
type keptSites struct{ chunks [][]compiler.CallSite }

const keptChunk = 256

func (k *keptSites) add(p *compiler.CallSite) {
	if len(k.chunks) == 0 || len(k.chunks[len(k.chunks)-1]) == keptChunk {
		k.chunks = append(k.chunks, make([]compiler.CallSite, 0, keptChunk))
	}
	last := &k.chunks[len(k.chunks)-1]
	*last = append(*last, *p)
}

// walk is a walkFunc over the kept call sites.
func (k *keptSites) walk(fn func(p *compiler.CallSite) bool) error {
	for _, chunk := range k.chunks {
		for i := range chunk {
			if !fn(&chunk[i]) {
				return nil
			}
		}
	}
	return nil
}

// walkFunc hands a file's call sites to fn in order: a Stream's Walk,
// or a loop over an opened File's CallSites.
type walkFunc func(fn func(p *compiler.CallSite) bool) error

// selects reports whether --probe lists the call site's probe.
func (o *dumpOptions) selects(p *compiler.CallSite) bool {
	if len(o.probes) == 0 {
		return true
	}
	for _, pattern := range o.probes {
		if p.Matches(pattern) {
			return true
		}
	}
	return false
}

// specOf encodes a call site with cookie 0, as the dump shows it. A file
// of an unsupported architecture has no spec; its call sites' own error
// says why.
func specOf(f *compiler.File, p *compiler.CallSite, l compiler.Layout) ([]byte, error) {
	if f.Arch == nil {
		return nil, nil
	}
	return compiler.Encode(l, f.ByteOrder, p.Arguments, 0)
}

// fileLayout is the layout f's specs need: l's libbpf layout unless
// some call site needs l's extensions. (dumpFile finds it in its first
// pass.)
func fileLayout(f *compiler.File, l compiler.Layout) compiler.Layout {
	for i := range f.CallSites {
		if l.For(f.CallSites[i].Arguments) != l.Strict() {
			return l
		}
	}
	return l.Strict()
}

// decodedValue is what bpf_usdt_arg returns for a constant: the
// immediate cut to the argument's size, then sign- or zero-extended.
func decodedValue(a *arch.Arg) string {
	shift := uint(64 - 8*a.Size)
	if a.Signed {
		return strconv.FormatInt(int64(a.Value<<shift)>>shift, 10)
	}
	return strconv.FormatUint(a.Value<<shift>>shift, 10)
}

func machineName(f *compiler.File) string {
	if f.Arch != nil {
		return f.Arch.Name
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
}

func byteOrderName(f *compiler.File) string {
	if strings.HasPrefix(f.ByteOrder.String(), "Little") {
		return "little"
	}
	return "big"
}

func classBits(f *compiler.File) int {
	if f.Class.String() == "ELFCLASS32" {
		return 32
	}
	return 64
}

// ---- JSON ----

type jsonDoc struct {
	Files []jsonFile `json:"files"`
}

type jsonFile struct {
	jsonFileHead
	CallSites  []jsonCallSite `json:"call_sites"`
	NoteErrors []string       `json:"note_errors"`
}

// jsonFileHead is a file's fields before its two lists: encoding/json
// writes them in place of the embedded struct, and the streaming writer
// writes them alone, before the call sites.
type jsonFileHead struct {
	Path       string `json:"path"`
	Machine    string `json:"machine"`
	Class      int    `json:"class"`
	ByteOrder  string `json:"byte_order"`
	Type       string `json:"type"`
	SpecLayout string `json:"spec_layout"`
	DebugFile  string `json:"debug_file,omitempty"`
	// DebugFileErrors: the debug files found but not used, and why.
	DebugFileErrors []string `json:"debug_file_errors,omitempty"`
}

type jsonCallSite struct {
	Provider        string    `json:"provider"`
	Name            string    `json:"name"`
	NoteIndex       int       `json:"note_index"`
	PC              uint64    `json:"pc"`
	FileOffset      uint64    `json:"file_offset"`
	Base            uint64    `json:"base"`
	Semaphore       uint64    `json:"semaphore"`
	SemaphoreOffset uint64    `json:"semaphore_offset"`
	Insn            string    `json:"insn"`
	InsnBytes       string    `json:"insn_bytes"`
	NopCombo        string    `json:"nop_combo"`
	InsnError       string    `json:"insn_error"`
	Args            string    `json:"args"`
	Arguments       []jsonArg `json:"arguments"`
	Spec            string    `json:"spec"`
	Error           string    `json:"error"`
}

type jsonArg struct {
	Operand        string      `json:"operand"`
	Size           int         `json:"size"`
	Signed         bool        `json:"signed"`
	Float          bool        `json:"float"`
	Kind           string      `json:"kind"`
	Reg            string      `json:"reg"`
	RegOffset      uint16      `json:"reg_offset"`
	IndexReg       string      `json:"index_reg"`
	IndexRegOffset uint16      `json:"index_reg_offset"`
	Scale          uint8       `json:"scale"`
	Offset         int64       `json:"offset"`
	Value          json.Number `json:"value"`
	Symbol         string      `json:"symbol,omitempty"`
	SymbolAddress  uint64      `json:"symbol_address,omitempty"`
	Error          string      `json:"error"`
}

// jsonDocWriter writes the JSON document call site by call site, so
// that memory does not grow with the output: at a million call sites the
// document is over 2 GB. The bytes are those of json.Encoder with
// SetIndent("", "  ") on the whole jsonDoc (TestDumpJSONStreams compares
// them): each call site is indented where it sits in the document.
type jsonDocWriter struct {
	w     *bufio.Writer
	files int
	buf   []byte // one call site's JSON, reused
}

// The indentation of a file, of its fields and of its call sites.
const (
	jsonFileIndent  = "    "
	jsonFieldIndent = "      "
	jsonSiteIndent  = "        "
)

// file writes f, whose call sites walk hands out and whose specs need
// layout (see fileLayout).
func (jw *jsonDocWriter) file(f *compiler.File, walk walkFunc, layout compiler.Layout, o *dumpOptions) error {
	if jw.files == 0 {
		jw.w.WriteString("{\n  \"files\": [\n" + jsonFileIndent)
	} else {
		jw.w.WriteString(",\n" + jsonFileIndent)
	}
	jw.files++
	jf := fileJSON(f, layout)
	noteErrors := jf.NoteErrors
	// The file's fields up to call_sites; the closing brace is cut off.
	head, err := json.MarshalIndent(jf.jsonFileHead, jsonFileIndent, "  ")
	if err != nil {
		return err
	}
	jw.w.Write(head[:len(head)-len("\n"+jsonFileIndent+"}")])
	jw.w.WriteString(",\n" + jsonFieldIndent + "\"call_sites\": [")
	n := 0
	sw := newJSONSiteWriter(f, o)
	err = walk(func(p *compiler.CallSite) bool {
		if !o.selects(p) {
			return true
		}
		if n == 0 {
			jw.buf = append(jw.buf[:0], "\n"+jsonSiteIndent...)
		} else {
			jw.buf = append(jw.buf[:0], ",\n"+jsonSiteIndent...)
		}
		jw.buf = sw.appendSite(jw.buf, p)
		n++
		// A failed write (a closed pipe) fails every one after it: stop
		// reading; the caller's flush says why.
		_, werr := jw.w.Write(jw.buf)
		return werr == nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		jw.w.WriteString("\n" + jsonFieldIndent)
	}
	jw.w.WriteString("],\n" + jsonFieldIndent + "\"note_errors\": ")
	b, err := json.MarshalIndent(noteErrors, jsonFieldIndent, "  ")
	if err != nil {
		return err
	}
	jw.w.Write(b)
	jw.w.WriteString("\n" + jsonFileIndent + "}")
	return nil
}

// end closes the document.
func (jw *jsonDocWriter) end() {
	if jw.files == 0 {
		jw.w.WriteString("{\n  \"files\": []\n}\n")
		return
	}
	jw.w.WriteString("\n  ]\n}\n")
}

// toJSON is a whole file's JSON value, as the streaming writer writes it
// in parts; the tests encode it with json.Encoder to check that writer.
func toJSON(f *compiler.File, o *dumpOptions) jsonFile {
	jf := fileJSON(f, fileLayout(f, o.layout))
	for i := range f.CallSites {
		p := &f.CallSites[i]
		if o.selects(p) {
			jf.CallSites = append(jf.CallSites, callSiteJSON(f, p, o))
		}
	}
	return jf
}

// fileJSON is a file's JSON value without its call sites, whose specs
// need layout.
func fileJSON(f *compiler.File, layout compiler.Layout) jsonFile {
	jf := jsonFile{
		jsonFileHead: jsonFileHead{
			Path:       f.Path,
			Machine:    machineName(f),
			Class:      classBits(f),
			ByteOrder:  byteOrderName(f),
			Type:       strings.TrimPrefix(f.Type.String(), "ET_"),
			SpecLayout: layout.Name,
			DebugFile:  f.DebugFile,
		},
		CallSites:  []jsonCallSite{},
		NoteErrors: []string{},
	}
	for _, ne := range f.NoteErrors {
		jf.NoteErrors = append(jf.NoteErrors, ne.Error())
	}
	for _, e := range f.DebugFileErrors {
		jf.DebugFileErrors = append(jf.DebugFileErrors, e.Error())
	}
	return jf
}

// callSiteJSON is one call site's JSON value.
func callSiteJSON(f *compiler.File, p *compiler.CallSite, o *dumpOptions) jsonCallSite {
	jc := jsonCallSite{
		Provider: p.Provider, Name: p.Name, NoteIndex: p.NoteIndex,
		PC: p.PC, FileOffset: p.FileOffset, Base: p.Base,
		Semaphore: p.Semaphore, SemaphoreOffset: p.SemaphoreOffset,
		Insn: p.Code.Insn, InsnBytes: hex.EncodeToString(p.Code.Bytes), NopCombo: p.Code.Combo,
		InsnError: joinErrors(p.Code.Err),
		Args:      p.Args, Arguments: []jsonArg{},
	}
	for j := range p.Arguments {
		jc.Arguments = append(jc.Arguments, argJSON(&p.Arguments[j]))
	}
	spec, err := specOf(f, p, o.layout)
	jc.Spec = hex.EncodeToString(spec)
	jc.Error = joinErrors(p.Err, err)
	return jc
}

func argJSON(a *compiler.Argument) jsonArg {
	ja := jsonArg{Operand: a.Text, Size: a.Size, Signed: a.Signed, Float: a.Float, Value: "0"}
	if a.Err != nil {
		ja.Error = a.Err.Error()
		return ja
	}
	ja.Kind = a.Kind.String()
	ja.Symbol, ja.SymbolAddress = a.Symbol, a.SymbolAddress
	switch a.Kind {
	case arch.Const:
		ja.Value = json.Number(decodedValue(&a.Arg))
	case arch.SIB, arch.Index, arch.TLS, arch.Pair:
		// Index has no base register, TLS may have neither: their
		// names are then "".
		ja.IndexReg, ja.IndexRegOffset, ja.Scale = a.Index.Name, a.Index.Offset, a.Scale
		fallthrough
	default:
		ja.Reg, ja.RegOffset, ja.Offset = a.Base.Name, a.Base.Offset, a.Offset
	}
	if ja.Scale == 0 {
		ja.Scale = 1
	}
	return ja
}

func joinErrors(errs ...error) string {
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	return strings.Join(msgs, "; ")
}

// ---- table ----

// writeTable lists a file's call sites, n of them selected. The part of
// a call site's block that depends only on its argument string
// (argument lines and spec) is rendered once per distinct string: files
// repeat them a lot.
func writeTable(w *bufio.Writer, f *compiler.File, walk walkFunc, n int, o *dumpOptions) error {
	fmt.Fprintf(w, "%s: %s ELF%d %s-endian %s, %d call sites\n",
		printable(f.Path), machineName(f), classBits(f), byteOrderName(f), strings.TrimPrefix(f.Type.String(), "ET_"), n)
	if f.DebugFile != "" {
		fmt.Fprintf(w, "  symbols from debug file %s\n", printable(f.DebugFile))
	}
	for _, e := range f.DebugFileErrors {
		writeError(w, "  ", e)
	}
	for _, ne := range f.NoteErrors {
		writeError(w, "  error: ", ne)
	}
	blocks := map[string][]byte{}
	var b []byte
	return walk(func(p *compiler.CallSite) bool {
		if !o.selects(p) {
			return true
		}
		b = append(b[:0], "  "...)
		b = append(b, printable(p.Provider)...)
		b = append(b, ':')
		b = append(b, printable(p.Name)...)
		b = appendHexField(b, "  pc ", p.PC)
		b = appendHexField(b, "  offset ", p.FileOffset)
		b = appendHexField(b, "  base ", p.Base)
		if p.Semaphore != 0 {
			b = appendHexField(b, "  semaphore ", p.Semaphore)
			b = appendHexField(b, " (offset ", p.SemaphoreOffset)
			b = append(b, ')')
		}
		b = appendSite(b, p.Code)
		b = append(b, "\n    args: "...)
		b = append(b, printable(p.Args)...)
		b = append(b, '\n')
		if pcRelative(p) {
			// Resolved per call site (the offset depends on the pc):
			// rendered each time, not kept, or the cache would grow
			// with the call sites.
			b = appendArgumentBlock(b, f, p, o.layout)
		} else {
			block, ok := blocks[p.Args]
			if !ok {
				at := len(b)
				b = appendArgumentBlock(b, f, p, o.layout)
				block = bytes.Clone(b[at:])
				blocks[p.Args] = block
			} else {
				b = append(b, block...)
			}
		}
		if p.Err != nil {
			b = appendError(b, "    error: ", p.Err)
		}
		if p.Code.Err != nil {
			b = appendError(b, "    error: ", p.Code.Err)
		}
		// A failed write (a closed pipe) fails every one after it: stop
		// reading; the caller's flush says why.
		_, err := w.Write(b)
		return err == nil
	})
}

// pcRelative reports whether a call site's arguments differ from those
// of other call sites with the same argument string: a PC-relative
// operand's offset depends on the pc.
func pcRelative(p *compiler.CallSite) bool {
	for i := range p.Arguments {
		if p.Arguments[i].PCRelative {
			return true
		}
	}
	return false
}

// appendSite adds the instruction at the call site, or its nop combo,
// and its bytes: "  insn nop (90)", "  insn nop+nop5 (900f1f440000)".
// Nothing for architectures without a decoder; "?" when it failed (the
// error has its own line).
func appendSite(b []byte, s *arch.Code) []byte {
	switch {
	case s.Err != nil:
		return append(b, "  insn ?"...)
	case s.Insn == "":
		return b
	}
	b = append(b, "  insn "...)
	if s.Combo != "" {
		b = append(b, s.Combo...)
	} else {
		b = append(b, s.Insn...)
	}
	b = append(b, " ("...)
	b = hex.AppendEncode(b, s.Bytes)
	return append(b, ')')
}

func appendHexField(b []byte, label string, v uint64) []byte {
	b = append(b, label...)
	b = append(b, "0x"...)
	return strconv.AppendUint(b, v, 16)
}

// appendArgumentBlock appends the argument lines and the spec of a call
// site. Appended by hand, not through fmt: on a file of a few hundred
// call sites, formatting was most of dump's time after start-up.
func appendArgumentBlock(b []byte, f *compiler.File, p *compiler.CallSite, l compiler.Layout) []byte {
	for j := range p.Arguments {
		b = appendArgLine(b, j, &p.Arguments[j])
	}
	spec, err := specOf(f, p, l)
	if err != nil {
		b = appendError(b, "    error: ", err)
	}
	if spec != nil {
		b = append(b, "    spec "...)
		b = append(b, l.For(p.Arguments).Name...)
		b = append(b, ": "...)
		b = hex.AppendEncode(b, spec)
		b = append(b, '\n')
	}
	return b
}

// writeError writes an error as appendError formats it.
func writeError(w io.Writer, prefix string, err error) {
	w.Write(appendError(nil, prefix, err))
}

// appendError appends an error, one line per line of its text
// (errors.Join puts one error on each), each after prefix and escaped
// (printable): an error may quote a string of the file.
func appendError(b []byte, prefix string, err error) []byte {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		b = append(b, prefix...)
		b = append(b, printable(line)...)
		b = append(b, '\n')
	}
	return b
}

// appendArgLine appends an argument's line: its index, operand, kind,
// size and where its value is.
func appendArgLine(b []byte, i int, a *compiler.Argument) []byte {
	b = append(b, "    #"...)
	b = appendPadded(b, strconv.Itoa(i), 2)
	b = append(b, ' ')
	b = appendPadded(b, printable(a.Text), 22)
	b = append(b, ' ')
	if a.Err != nil {
		b = append(b, "error: "...)
		b = append(b, printable(errors.Unwrap(a.Err).Error())...)
		return append(b, '\n')
	}
	b = appendPadded(b, a.Kind.String(), 5)
	b = append(b, ' ')
	if a.Signed {
		b = append(b, 's')
	} else {
		b = append(b, 'u')
	}
	b = strconv.AppendInt(b, int64(a.Size*8), 10)
	if a.Float {
		b = append(b, " float"...)
	}
	b = append(b, "  "...)
	switch a.Kind {
	case arch.Const:
		b = append(b, "value "...)
		b = append(b, decodedValue(&a.Arg)...)
		return append(b, '\n')
	case arch.Reg:
		b = appendRegister(b, a.Base)
		return append(b, '\n')
	case arch.Pair:
		b = appendRegister(b, a.Index)
		b = append(b, ':')
		b = appendRegister(b, a.Base)
		b = append(b, " (high:low)"...)
	case arch.Deref:
		b = append(b, "*("...)
		b = appendRegister(b, a.Base)
		b = appendDisplacement(b, a.Offset)
	case arch.SIB:
		b = append(b, "*("...)
		b = appendRegister(b, a.Base)
		b = append(b, " + "...)
		b = appendScaled(b, a.Index, a.Scale)
		b = appendDisplacement(b, a.Offset)
	case arch.Index:
		b = append(b, "*("...)
		b = appendScaled(b, a.Index, a.Scale)
		b = appendDisplacement(b, a.Offset)
	case arch.TLS:
		b = append(b, "*(thread pointer"...)
		if a.Base.Name != "" {
			b = append(b, " + "...)
			b = appendRegister(b, a.Base)
		}
		if a.Index.Name != "" {
			b = append(b, " + "...)
			b = appendScaled(b, a.Index, a.Scale)
		}
		b = appendDisplacement(b, a.Offset)
	}
	if a.Symbol != "" {
		b = append(b, "  ["...)
		b = append(b, printable(a.Symbol)...)
		b = appendHexField(b, " at ", a.SymbolAddress)
		b = append(b, ']')
	}
	return append(b, '\n')
}

// appendPadded appends s left-aligned in width runes, as fmt's %-Ns.
func appendPadded(b []byte, s string, width int) []byte {
	b = append(b, s...)
	for n := utf8.RuneCountInString(s); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// appendRegister appends "rdi@pt_regs+112".
func appendRegister(b []byte, r arch.Register) []byte {
	b = append(b, r.Name...)
	b = append(b, "@pt_regs+"...)
	return strconv.AppendUint(b, uint64(r.Offset), 10)
}

// appendScaled appends "rsi@pt_regs+104*4".
func appendScaled(b []byte, r arch.Register, scale uint8) []byte {
	b = appendRegister(b, r)
	b = append(b, '*')
	return strconv.AppendUint(b, uint64(scale), 10)
}

// appendDisplacement appends " +8)" or " -8)": the displacement, signed,
// and the closing parenthesis.
func appendDisplacement(b []byte, off int64) []byte {
	b = append(b, ' ')
	if off >= 0 {
		b = append(b, '+')
	}
	b = strconv.AppendInt(b, off, 10)
	return append(b, ')')
}
