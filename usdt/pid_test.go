package usdt

import (
	"errors"
	"testing"
)

// TestPIDMeaningInEveryMode: Options.PID means the same in every attach
// mode. 0 and -1 trace every process (and, without BPF cookies, need a
// PID for a position-independent file instead of attaching elsewhere),
// a positive PID traces that process only, and below -1 is an error.
// Before, -1 traced every process with per-site uprobes, failed with
// EINVAL with uprobe_multi, and asked for a PID without cookies.
func TestPIDMeaningInEveryMode(t *testing.T) {
	needRoot(t)
	exe := buildWaiter(t) // position-independent (gcc's default)
	for _, mode := range modes {
		for _, tt := range []struct {
			name string
			pid  func(w *waiter) int
			hits uint64 // of the two processes each firing once; 0 with an error
			err  error
		}{
			{"0", func(*waiter) int { return 0 }, 2, nil},
			{"-1", func(*waiter) int { return -1 }, 2, nil},
			{"one process", func(w *waiter) int { return w.cmd.Process.Pid }, 1, nil},
			{"-2", func(*waiter) int { return -2 }, 0, ErrInvalidPID},
		} {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				w := startWaiter(t, exe)
				other := startWaiter(t, exe)
				wantErr, hits := tt.err, tt.hits
				if mode.cfg.DisableCookies && tt.pid(w) <= 0 && wantErr == nil {
					wantErr, hits = ErrNeedPID, 0
				}
				cfg := mode.cfg
				cfg.Targets = []Target{{Path: exe}}
				l := load(t, cfg)
				opts := &Options{PID: tt.pid(w), Cookie: 4}
				ln, err := l.m.Attach(l.prog(), Target{Path: exe, Probe: "test:plain"}, opts)
				if !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
					t.Fatalf("Attach with PID %d: %v, want %v", opts.PID, err, wantErr)
				}
				if opts.PID != tt.pid(w) {
					t.Errorf("Attach changed the caller's Options.PID to %d", opts.PID)
				}
				if err != nil {
					return
				}
				defer ln.Close()
				w.fire(t, 1)
				other.fire(t, 2)
				if n := l.count(t, 4); n != hits {
					t.Errorf("PID %d: %d hits of two processes, want %d", opts.PID, n, hits)
				}
			})
		}
	}
}
