package shim

import (
	"os"
	"path/filepath"
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
	t.Cleanup(func() { peakFiles = old })
	peakFiles = []string{v2, v1}
	if got := peakMemory(); got != "" {
		t.Errorf("no cgroup files: %q", got)
	}
	if err := os.WriteFile(v1, []byte("2048\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := peakMemory(); got != "2048" {
		t.Errorf("cgroup v1: %q", got)
	}
	if err := os.WriteFile(v2, []byte("4096\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := peakMemory(); got != "4096" {
		t.Errorf("cgroup v2 first: %q", got)
	}
}
