package main

import (
	"regexp"
	"strings"
)

// stepLine matches the line the classic Docker builder prints as it starts
// a Dockerfile instruction, e.g. "Step 3/9 : RUN pip install -r ...".
var stepLine = regexp.MustCompile(`^Step \d+/\d+ : `)

// maxStepLine bounds a step line as shown: a long RUN line would wrap
// across the terminal and bury the next step.
const maxStepLine = 120

// stepFilter reduces a streamed Docker build log to one line per build step,
// so that a build reads as a short list; the caller keeps the full log for
// --verbose and for a failed build. The log arrives in arbitrary chunks:
// a line split across two chunks is held until its end arrives.
type stepFilter struct {
	partial strings.Builder // the current line, not yet ended
	// keep, when set, passes the lines it accepts as well: the server's
	// own progress lines in `lambda runtimes prepare`.
	keep func(line string) bool
}

// Filter returns the step lines completed by chunk, each ending in "\n".
func (f *stepFilter) Filter(chunk string) string {
	var out strings.Builder
	for chunk != "" {
		line, rest, ended := strings.Cut(chunk, "\n")
		if !ended {
			f.partial.WriteString(line)
			break
		}
		chunk = rest
		if f.partial.Len() > 0 {
			f.partial.WriteString(line)
			line = f.partial.String()
			f.partial.Reset()
		}
		writeStep(&out, line, f.keep)
	}
	return out.String()
}

// Flush returns the last line if it is a step line the log did not end.
func (f *stepFilter) Flush() string {
	line := f.partial.String()
	f.partial.Reset()
	var out strings.Builder
	writeStep(&out, line, f.keep)
	return out.String()
}

func writeStep(out *strings.Builder, line string, keep func(string) bool) {
	line = strings.TrimRight(line, "\r")
	if !stepLine.MatchString(line) && (keep == nil || !keep(line)) {
		return
	}
	if r := []rune(line); len(r) > maxStepLine {
		line = string(r[:maxStepLine-3]) + "..."
	}
	out.WriteString(line)
	out.WriteByte('\n')
}
