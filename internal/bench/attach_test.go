package main

import (
	"os"
	"testing"
	"time"
)

// BenchmarkAttach1000 attaches the empty program to the 1,000 call sites
// of bench:sites and detaches it (root; make bench builds the program):
//
//	go test -run '^$' -bench Attach1000 -benchtime 20x ./internal/bench/
func BenchmarkAttach1000(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("attaching uprobes needs root")
	}
	exe := "../../build/bench/benchprobes"
	if _, err := os.Stat(exe); err != nil {
		b.Skipf("%v (make bench builds it)", err)
	}
	o, err := loadOurs(exe)
	if err != nil {
		b.Fatal(err)
	}
	defer o.coll.Close()
	var attach, detach time.Duration
	for b.Loop() {
		a, d, err := o.attachTimes(1)
		if err != nil {
			b.Fatal(err)
		}
		attach += a[0]
		detach += d[0]
	}
	b.ReportMetric(float64(attach.Nanoseconds())/float64(b.N), "attach-ns/op")
	b.ReportMetric(float64(detach.Nanoseconds())/float64(b.N), "detach-ns/op")
}
