package main

import (
	"fmt"
	"io"
	"strings"

	lambdahttp "github.com/lambdahq/lambda/http"
)

// deployProgress renders the server's deploy events: a step stays on its
// line until the next one starts ("... Done.") unless build output streams
// in below it.
type deployProgress struct {
	w       io.Writer
	started bool // an event arrived: the server got as far as building
	open    bool // a step line waits for its " Done."
	midLine bool // the last log chunk did not end its line
	log     tailBuffer
}

func (p *deployProgress) event(ev lambdahttp.DeployEvent) {
	p.started = true
	switch ev.Type {
	case lambdahttp.EventStep:
		p.endLine(" Done.")
		fmt.Fprintf(p.w, "[%d/%d] %s...", ev.Step, ev.Total, ev.Message)
		p.open = true
	case lambdahttp.EventLog:
		if ev.Message == "" {
			return
		}
		if p.open {
			fmt.Fprintln(p.w)
			p.open = false
		}
		io.WriteString(p.w, ev.Message)
		p.log.Write([]byte(ev.Message))
		p.midLine = !strings.HasSuffix(ev.Message, "\n")
	}
}

// endLine closes an open step line with suffix, or ends a log line left
// unterminated.
func (p *deployProgress) endLine(suffix string) {
	switch {
	case p.open:
		fmt.Fprintln(p.w, suffix)
	case p.midLine:
		fmt.Fprintln(p.w)
	}
	p.open, p.midLine = false, false
}

func (p *deployProgress) finish() { p.endLine(" Done.") }
func (p *deployProgress) fail()   { p.endLine(" Failed.") }

// tailBuffer keeps the last 64 KB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	const max = 64 << 10
	t.b = append(t.b, p...)
	if len(t.b) > max {
		t.b = append(t.b[:0], t.b[len(t.b)-max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
