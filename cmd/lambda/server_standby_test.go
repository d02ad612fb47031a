package main

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStandbyMemory(t *testing.T) {
	host := func() (int64, error) { return 8 << 30, nil }
	broken := func() (int64, error) { return 0, errors.New("no /proc") }
	tests := []struct {
		in      string
		host    func() (int64, error)
		want    int64
		wantErr string
	}{
		{"25%", host, 2 << 30, ""},
		{"100%", host, 8 << 30, ""},
		{"512m", broken, 512 << 20, ""},
		{"2g", host, 2 << 30, ""},
		{"0", host, 0, ""},
		{"0%", host, 0, "percentage"},
		{"150%", host, 0, "percentage"},
		{"abc", host, 0, "is invalid"},
		{"-1g", host, 0, "is invalid"},
		{"25%", broken, 0, "cannot read the host's memory"},
	}
	for _, tt := range tests {
		got, err := parseStandbyMemory(tt.in, tt.host)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: %d, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	if n, err := hostMemory(); err == nil && n <= 0 {
		t.Errorf("hostMemory: %d without an error", n)
	}
}
