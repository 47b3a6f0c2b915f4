package conformance

// Line is one line a case printed: the probe it is for and one token per
// argument (a decimal value, or "*" for "not compared").
type Line struct {
	Probe  string // provider:name
	Tokens []string
}

// ParseLines reads a case's stdout the way [Run] does: one line per probe
// hit, "provider:name" followed by the values. On a malformed line it
// returns the lines before it and an error naming it.
func ParseLines(out []byte) ([]Line, error) {
	lines, err := parseLines(out)
	ls := make([]Line, len(lines))
	for i, l := range lines {
		ls[i] = Line{Probe: l.probe, Tokens: l.tokens}
	}
	return ls, err
}

// ParseValue reads a value token as [Run] compares it: a decimal integer
// (negative ones as 64-bit two's complement).
func ParseValue(tok string) (uint64, error) { return parseValue(tok) }
