package shim

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

func TestParsePeak(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"32505856\n", "32505856", true},
		{"0\n", "0", true},
		{"max\n", "", false},
		{"", "", false},
		{"-1\n", "", false},
	} {
		got, ok := parsePeak([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("parsePeak(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// The shim reads cgroup v2's memory.peak, else v1's max_usage_in_bytes,
// and says nothing when neither is there.
func TestPeakMemory(t *testing.T) {
	dir := t.TempDir()
	v2, v1 := filepath.Join(dir, "memory.peak"), filepath.Join(dir, "memory.max_usage_in_bytes")
	old := peakFiles
	t.Cleanup(func() {
		peakFiles = old
		if peak.fd >= 0 {
			syscall.Close(peak.fd)
		}
		peak.once = sync.Once{}
	})
	fresh := func() string {
		if peak.fd > 0 {
			syscall.Close(peak.fd)
		}
		peak.once = sync.Once{}
		return peakMemory()
	}
	peakFiles = []string{v2, v1}
	if got := fresh(); got != "" {
		t.Errorf("no cgroup files: %q", got)
	}
	if err := os.WriteFile(v1, []byte("2048\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := fresh(); got != "2048" {
		t.Errorf("cgroup v1: %q", got)
	}
	if err := os.WriteFile(v2, []byte("4096\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := fresh(); got != "4096" {
		t.Errorf("cgroup v2 first: %q", got)
	}
	// Read again from the start at each answer: a new peak shows.
	if err := os.WriteFile(v2, []byte("8192\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := peakMemory(); got != "8192" {
		t.Errorf("reread: %q", got)
	}
	if err := os.WriteFile(v2, []byte("max\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := peakMemory(); got != "" {
		t.Errorf("garbage: %q", got)
	}
}

// The cost per answer: one open, read and close of a kernel file.
func BenchmarkPeakMemory(b *testing.B) {
	if peakMemory() == "" {
		b.Skip("no cgroup memory file here")
	}
	b.ReportAllocs()
	for range b.N {
		_ = peakMemory()
	}
}
