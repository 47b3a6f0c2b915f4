package main

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"unicode/utf8"

	"github.com/usdtspec/usdtspec/compiler"
)

// The call sites of dump --json are appended by hand, in the bytes that
// json.MarshalIndent gives a jsonCallSite at its place in the document
// (TestDumpJSONStreams and TestAppendJSONString hold them to it): by
// reflection, a million call sites took 26 s; and the part that depends
// only on the argument string (arguments, spec) is rendered once per
// distinct string, as the table does.

// The indentation inside a call site: its fields, its arguments, and
// their fields.
const (
	siteFieldIndent = jsonSiteIndent + "  "
	argIndent       = siteFieldIndent + "  "
	argFieldIndent  = argIndent + "  "
)

// jsonSiteWriter appends call sites of one file.
type jsonSiteWriter struct {
	f      *compiler.File
	o      *dumpOptions
	blocks map[string]argsBlock
}

// argsBlock is the rendered "args", "arguments" and "spec" fields of an
// argument string, and the spec's error.
type argsBlock struct {
	json    []byte
	specErr error
}

func newJSONSiteWriter(f *compiler.File, o *dumpOptions) *jsonSiteWriter {
	return &jsonSiteWriter{f: f, o: o, blocks: map[string]argsBlock{}}
}

// appendSite appends p's JSON object, starting at its opening brace.
func (sw *jsonSiteWriter) appendSite(b []byte, p *compiler.CallSite) []byte {
	b = append(b, "{\n"...)
	b = stringField(b, siteFieldIndent, "provider", p.Provider)
	b = stringField(b, siteFieldIndent, "name", p.Name)
	b = intField(b, siteFieldIndent, "note_index", int64(p.NoteIndex))
	b = uintField(b, siteFieldIndent, "pc", p.PC)
	b = uintField(b, siteFieldIndent, "file_offset", p.FileOffset)
	b = uintField(b, siteFieldIndent, "base", p.Base)
	b = uintField(b, siteFieldIndent, "semaphore", p.Semaphore)
	b = uintField(b, siteFieldIndent, "semaphore_offset", p.SemaphoreOffset)
	b = stringField(b, siteFieldIndent, "insn", p.Code.Insn)
	b = fieldName(b, siteFieldIndent, "insn_bytes")
	b = append(b, '"')
	b = hex.AppendEncode(b, p.Code.Bytes)
	b = append(b, "\",\n"...)
	b = stringField(b, siteFieldIndent, "nop_combo", p.Code.Combo)
	b = stringField(b, siteFieldIndent, "insn_error", joinErrors(p.Code.Err))

	var specErr error
	if pcRelative(p) {
		// Resolved per call site (the offset depends on the pc):
		// rendered each time, not kept, or the cache would grow with
		// the call sites.
		b, specErr = sw.appendArgsBlock(b, p)
	} else if blk, ok := sw.blocks[p.Args]; ok {
		b, specErr = append(b, blk.json...), blk.specErr
	} else {
		at := len(b)
		b, specErr = sw.appendArgsBlock(b, p)
		sw.blocks[p.Args] = argsBlock{json: bytes.Clone(b[at:]), specErr: specErr}
	}
	b = fieldName(b, siteFieldIndent, "error")
	b = appendJSONString(b, joinErrors(p.Err, specErr))
	b = append(b, "\n"+jsonSiteIndent+"}"...)
	return b
}

// appendArgsBlock appends the fields from "args" to "spec", each ending
// ",\n", and returns the spec's error.
func (sw *jsonSiteWriter) appendArgsBlock(b []byte, p *compiler.CallSite) ([]byte, error) {
	b = stringField(b, siteFieldIndent, "args", p.Args)
	b = fieldName(b, siteFieldIndent, "arguments")
	if len(p.Arguments) == 0 {
		b = append(b, "[],\n"...)
	} else {
		b = append(b, "[\n"...)
		for i := range p.Arguments {
			if i > 0 {
				b = append(b, ",\n"...)
			}
			b = appendArg(b, argJSON(&p.Arguments[i]))
		}
		b = append(b, "\n"+siteFieldIndent+"],\n"...)
	}
	spec, err := specOf(sw.f, p, sw.o.layout)
	b = fieldName(b, siteFieldIndent, "spec")
	b = append(b, '"')
	b = hex.AppendEncode(b, spec)
	b = append(b, "\",\n"...)
	return b, err
}

func appendArg(b []byte, a jsonArg) []byte {
	b = append(b, argIndent+"{\n"...)
	b = stringField(b, argFieldIndent, "operand", a.Operand)
	b = intField(b, argFieldIndent, "size", int64(a.Size))
	b = boolField(b, argFieldIndent, "signed", a.Signed)
	b = boolField(b, argFieldIndent, "float", a.Float)
	b = stringField(b, argFieldIndent, "kind", a.Kind)
	b = stringField(b, argFieldIndent, "reg", a.Reg)
	b = uintField(b, argFieldIndent, "reg_offset", uint64(a.RegOffset))
	b = stringField(b, argFieldIndent, "index_reg", a.IndexReg)
	b = uintField(b, argFieldIndent, "index_reg_offset", uint64(a.IndexRegOffset))
	b = uintField(b, argFieldIndent, "scale", uint64(a.Scale))
	b = intField(b, argFieldIndent, "offset", a.Offset)
	b = fieldName(b, argFieldIndent, "value")
	b = append(b, a.Value...)
	b = append(b, ",\n"...)
	if a.Symbol != "" {
		b = stringField(b, argFieldIndent, "symbol", a.Symbol)
	}
	if a.SymbolAddress != 0 {
		b = uintField(b, argFieldIndent, "symbol_address", a.SymbolAddress)
	}
	b = fieldName(b, argFieldIndent, "error")
	b = appendJSONString(b, a.Error)
	b = append(b, "\n"+argIndent+"}"...)
	return b
}

// fieldName appends `INDENT"name": `.
func fieldName(b []byte, indent, name string) []byte {
	b = append(b, indent...)
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `": `...)
}

// The fields below end with ",\n": every caller's field has another
// after it.

func stringField(b []byte, indent, name, v string) []byte {
	b = fieldName(b, indent, name)
	b = appendJSONString(b, v)
	return append(b, ",\n"...)
}

func intField(b []byte, indent, name string, v int64) []byte {
	b = fieldName(b, indent, name)
	b = strconv.AppendInt(b, v, 10)
	return append(b, ",\n"...)
}

func uintField(b []byte, indent, name string, v uint64) []byte {
	b = fieldName(b, indent, name)
	b = strconv.AppendUint(b, v, 10)
	return append(b, ",\n"...)
}

func boolField(b []byte, indent, name string, v bool) []byte {
	b = fieldName(b, indent, name)
	b = strconv.AppendBool(b, v)
	return append(b, ",\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes a string by
// default: HTML-safe (<, > and & as \u00XX), U+2028 and U+2029 escaped,
// invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
