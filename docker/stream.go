package docker

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/moby/moby/api/types/jsonstream"
)

// streamMessage is one message of the daemon's JSON progress stream (build,
// pull). Old daemons also send the error text at the top level.
type streamMessage struct {
	jsonstream.Message
	ErrorText string `json:"error,omitempty"`
}

// streamResult is what a finished stream told us besides its text.
type streamResult struct {
	ImageID string // from the builder's aux {"ID": ...} message
	Digest  string // from a push's aux {"Digest": ...} message
	Err     string // the error the operation failed with, if any
}

// renderStream writes the stream's messages to out as plain text lines and
// returns the image ID and error it carried. The returned error is a
// transport or decoding failure, not a failure of the operation.
func renderStream(r io.Reader, out io.Writer) (streamResult, error) {
	var res streamResult
	dec := json.NewDecoder(r)
	for {
		var m streamMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return res, nil
		} else if err != nil {
			return res, err
		}
		if m.Error != nil || m.ErrorText != "" {
			res.Err = m.ErrorText
			if m.Error != nil && m.Error.Message != "" {
				res.Err = m.Error.Message
			}
			return res, nil
		}
		if m.Aux != nil {
			var aux struct{ ID, Digest string }
			if json.Unmarshal(*m.Aux, &aux) == nil {
				res.ImageID = cmp.Or(aux.ID, res.ImageID)
				res.Digest = cmp.Or(aux.Digest, res.Digest)
			}
		}
		if line := renderMessage(m.Message); line != "" {
			_, _ = io.WriteString(out, line)
		}
	}
}

// ansi matches terminal escape sequences (the classic builder colours
// RUN output red), which are noise in logs and the CLI's stderr.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// renderMessage turns one message into text. Progress ticks (a layer's
// bytes so far) are dropped: they only make sense on a terminal.
func renderMessage(m jsonstream.Message) string {
	switch {
	case m.Stream != "":
		return ansi.ReplaceAllString(m.Stream, "")
	case m.Status == "":
		return ""
	case m.Progress != nil && m.Progress.Current > 0:
		return ""
	case m.ID != "":
		return m.ID + ": " + m.Status + "\n"
	}
	return m.Status + "\n"
}

// tailWriter keeps the last n lines written to it, each cut to maxLine
// bytes, so a failing build can quote its log without holding all of it.
type tailWriter struct {
	n       int
	lines   []string
	partial strings.Builder
}

const maxLine = 1024

func newTailWriter(n int) *tailWriter { return &tailWriter{n: n} }

func (t *tailWriter) Write(p []byte) (int, error) {
	for _, c := range string(p) {
		if c == '\n' {
			t.push()
			continue
		}
		if t.partial.Len() < maxLine {
			t.partial.WriteRune(c)
		}
	}
	return len(p), nil
}

func (t *tailWriter) push() {
	t.lines = append(t.lines, strings.TrimRight(t.partial.String(), "\r"))
	t.partial.Reset()
	if len(t.lines) > t.n {
		t.lines = append(t.lines[:0], t.lines[len(t.lines)-t.n:]...)
	}
}

// String returns the kept lines, including an unfinished last one.
func (t *tailWriter) String() string {
	lines := t.lines
	if t.partial.Len() > 0 {
		lines = append(lines[:len(lines):len(lines)], t.partial.String())
		if len(lines) > t.n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// lenientWriter forwards to w until the first write error, then discards:
// a client that stops reading the build log must not fail the build.
type lenientWriter struct {
	w      io.Writer
	failed bool
}

func (l *lenientWriter) Write(p []byte) (int, error) {
	if l.w != nil && !l.failed {
		if _, err := l.w.Write(p); err != nil {
			l.failed = true
		}
	}
	return len(p), nil
}
