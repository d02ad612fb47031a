package drivertest

import (
	"io"
	"strings"
)

// lenientWriter forwards to w (may be nil) until w fails, and remembers
// what was written so a failed build can quote its tail.
type lenientWriter struct {
	w      io.Writer
	failed bool
	text   strings.Builder
}

func (l *lenientWriter) Write(p []byte) (int, error) {
	l.text.Write(p)
	if l.w != nil && !l.failed {
		if _, err := l.w.Write(p); err != nil {
			l.failed = true
		}
	}
	return len(p), nil
}

// tail returns the last n lines written.
func (l *lenientWriter) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.text.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
