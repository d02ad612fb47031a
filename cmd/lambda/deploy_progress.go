package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	lambdahttp "github.com/lambdahq/lambda/http"
)

// deployProgress renders the server's deploy events: a step stays on its
// line until the next one starts ("... Done.") unless build output streams
// in below it. The server numbers the steps; what the CLI does before them
// (packing, an upload it announces with beginUpload) has no number.
type deployProgress struct {
	w   io.Writer
	tty bool // w is a terminal: the upload gets a progress bar
	// verbose streams the whole build log; otherwise only its step lines
	// show ("Step 3/9 : RUN ..."), and the whole log follows if the step
	// that produced it fails.
	verbose bool
	quiet   bool // nothing is shown: the error says it all

	steps stepFilter
	// buildStep, when set, tells the steps whose log is a build log to
	// reduce to its step lines (by the step's message); the log of other
	// steps (an image pulled or loaded) shows whole. Unset: every step's.
	buildStep func(message string) bool
	reduce    bool // the log of the step under way is reduced
	reduced   bool // some of the step's log was held back
	logSeen   bool // the whole log was written to w

	mu      sync.Mutex // events and the upload report from two goroutines
	started bool       // an event arrived: the server got as far as deploying
	open    bool       // a step line waits for its " Done."
	midLine bool       // the last log chunk did not end its line
	log     tailBuffer

	uploading   bool   // the upload step is the open line (or the bar)
	uploadLabel string // e.g. "Uploading image archive"
	bar         *progressbar.ProgressBar
}

func (p *deployProgress) event(ev lambdahttp.DeployEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
	// Anything else the server says comes after the whole upload.
	p.endUploadLocked(" Done.")
	switch ev.Type {
	case lambdahttp.EventStep:
		if !p.verbose {
			p.show(p.steps.Flush()) // the last step line of the log may lack its newline
		}
		p.endLine(" Done.")
		p.reduce = !p.verbose && (p.buildStep == nil || p.buildStep(ev.Message))
		p.reduced = false
		fmt.Fprintf(p.w, "[%d/%d] %s...", ev.Step, ev.Total, ev.Message)
		p.open = true
	case lambdahttp.EventLog:
		if ev.Message == "" {
			return
		}
		p.log.Write([]byte(ev.Message))
		text := ev.Message
		if p.reduce || (!p.verbose && p.buildStep == nil) {
			text = p.steps.Filter(text)
			p.reduced = true
		}
		p.show(text)
	}
}

// show writes log text below the open step line.
func (p *deployProgress) show(text string) {
	if text == "" {
		return
	}
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
	io.WriteString(p.w, text)
	p.midLine = !strings.HasSuffix(text, "\n")
}

// newDeployProgress renders a deploy's progress to w: step lines only,
// the whole build log when verbose, nothing when quiet.
func newDeployProgress(w io.Writer, verbose, quiet bool) *deployProgress {
	if quiet {
		return &deployProgress{w: io.Discard, quiet: true}
	}
	return &deployProgress{w: w, tty: isTerminal(w), verbose: verbose}
}

// beginUpload opens the upload step: a bar of size bytes on a terminal,
// else the label alone until the upload ends.
func (p *deployProgress) beginUpload(label string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uploadLabel, p.uploading = label, true
	if !p.tty {
		fmt.Fprintf(p.w, "%s...", label)
		return
	}
	p.bar = progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
	)
}

// uploadReader counts what is read from r into the bar and ends the
// upload step when r is exhausted.
func (p *deployProgress) uploadReader(r io.Reader) io.Reader {
	return &uploadReader{r: r, p: p}
}

type uploadReader struct {
	r io.Reader
	p *deployProgress
}

func (u *uploadReader) Read(b []byte) (int, error) {
	n, err := u.r.Read(b)
	u.p.mu.Lock()
	defer u.p.mu.Unlock()
	if u.p.bar != nil && u.p.uploading && n > 0 {
		_ = u.p.bar.Add(n)
	}
	if errors.Is(err, io.EOF) {
		u.p.endUploadLocked(" Done.")
	}
	return n, err
}

// endUploadLocked closes the upload step with suffix, once.
func (p *deployProgress) endUploadLocked(suffix string) {
	if !p.uploading {
		return
	}
	p.uploading = false
	if p.bar != nil {
		_ = p.bar.Finish() // clears the bar's line
		_ = p.bar.Exit()
		fmt.Fprintf(p.w, "%s...", p.uploadLabel)
	}
	fmt.Fprintln(p.w, suffix)
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

func (p *deployProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.verbose {
		p.show(p.steps.Flush())
	}
	p.endUploadLocked(" Done.")
	p.endLine(" Done.")
}

// fail closes the open step; when that step's log was filtered, the whole
// log follows (a failing build is read in full).
func (p *deployProgress) fail() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.verbose {
		p.show(p.steps.Flush())
	}
	p.endUploadLocked(" Failed.")
	p.endLine(" Failed.")
	full := p.log.String()
	if p.quiet {
		return
	}
	if p.verbose {
		p.logSeen = true
		return
	}
	if !p.reduced {
		return
	}
	fmt.Fprintln(p.w, "Build output:")
	io.WriteString(p.w, full)
	if !strings.HasSuffix(full, "\n") {
		fmt.Fprintln(p.w)
	}
	p.logSeen = true
}

// seenLog returns the log the user has read in full, for error messages
// not to quote it again.
func (p *deployProgress) seenLog() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.logSeen {
		return ""
	}
	return p.log.String()
}

// isTerminal reports whether w is a terminal, where progress bars belong.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

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
