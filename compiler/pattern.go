package compiler

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrProbePattern: a probe pattern is not PROVIDER:NAME.
var ErrProbePattern = errors.New("want PROVIDER:NAME")

// CheckProbePattern validates a "provider:name" pattern whose parts are
// path.Match globs. The empty pattern (every probe) is valid.
func CheckProbePattern(pattern string) error {
	if pattern == "" {
		return nil
	}
	prov, name, found := strings.Cut(pattern, ":")
	_, err1 := path.Match(prov, "")
	_, err2 := path.Match(name, "")
	if !found || prov == "" || name == "" || err1 != nil || err2 != nil {
		return fmt.Errorf("probe %q: %w", pattern, ErrProbePattern)
	}
	return nil
}

// Matches reports whether the call site is one of pattern's (see
// CheckProbePattern); the empty pattern matches every call site.
func (p *CallSite) Matches(pattern string) bool {
	if pattern == "" {
		return true
	}
	prov, name, _ := strings.Cut(pattern, ":")
	m1, _ := path.Match(prov, p.Provider)
	m2, _ := path.Match(name, p.Name)
	return m1 && m2
}
