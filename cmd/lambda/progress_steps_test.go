package main

import (
	"bytes"
	"strings"
	"testing"

	lambdahttp "github.com/lambdahq/lambda/http"
)

func TestStepFilter(t *testing.T) {
	long := "Step 2/3 : RUN " + strings.Repeat("x", 200)
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"steps only", []string{"Step 1/2 : FROM scratch\n ---> Using cache\n ---> 1a2b\nStep 2/2 : COPY . /app\nSuccessfully built 1a2b\n"},
			"Step 1/2 : FROM scratch\nStep 2/2 : COPY . /app\n"},
		{"a step split across chunks", []string{"Ste", "p 1/9 : RU", "N pip install\nCollecting x\n"}, "Step 1/9 : RUN pip install\n"},
		{"CRLF", []string{"Step 1/1 : FROM x\r\n"}, "Step 1/1 : FROM x\n"},
		{"unterminated last step", []string{"Step 3/3 : CMD [\"x\"]"}, "Step 3/3 : CMD [\"x\"]\n"},
		{"not at line start", []string{"echo Step 1/2 : x\n  Step 1/2 : y\n"}, ""},
		{"long line cut", []string{long + "\n"}, long[:117] + "...\n"},
		{"build output only", []string{"Collecting flask\nInstalling\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f stepFilter
			var got strings.Builder
			for _, c := range tt.chunks {
				got.WriteString(f.Filter(c))
			}
			got.WriteString(f.Flush())
			if got.String() != tt.want {
				t.Errorf("got %q, want %q", got.String(), tt.want)
			}
		})
	}
}

// buildEvents is a deploy whose build step streams a log.
var buildEvents = []lambdahttp.DeployEvent{
	{Type: lambdahttp.EventStep, Step: 2, Total: 3, Message: `Building image "func-greet"`},
	{Type: lambdahttp.EventLog, Message: "Step 1/2 : FROM scratch\n ---> 1a2b\nStep 2/2 : RUN make\n"},
	{Type: lambdahttp.EventLog, Message: "cc -o app main.c\n"},
}

func TestDeployProgressModes(t *testing.T) {
	const fullLog = "Step 1/2 : FROM scratch\n ---> 1a2b\nStep 2/2 : RUN make\ncc -o app main.c\n"
	start := lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 3, Total: 3, Message: "Starting container"}
	tests := []struct {
		name           string
		verbose, quiet bool
		start, failed  bool
		want, wantSeen string
	}{
		{"steps", false, false, true, false,
			"[2/3] Building image \"func-greet\"...\nStep 1/2 : FROM scratch\nStep 2/2 : RUN make\n[3/3] Starting container... Done.\n", ""},
		{"build fails: the whole log", false, false, false, true,
			"[2/3] Building image \"func-greet\"...\nStep 1/2 : FROM scratch\nStep 2/2 : RUN make\nBuild output:\n" + fullLog, fullLog},
		{"start fails: no build log", false, false, true, true,
			"[2/3] Building image \"func-greet\"...\nStep 1/2 : FROM scratch\nStep 2/2 : RUN make\n[3/3] Starting container... Failed.\n", ""},
		{"verbose", true, false, true, false, "[2/3] Building image \"func-greet\"...\n" + fullLog + "[3/3] Starting container... Done.\n", ""},
		{"verbose fails", true, false, false, true, "[2/3] Building image \"func-greet\"...\n" + fullLog, fullLog},
		{"quiet", false, true, true, false, "", ""},
		{"quiet fails: the error keeps the log", false, true, false, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := newDeployProgress(&out, tt.verbose, tt.quiet)
			p.buildStep = isBuildStep
			for _, ev := range buildEvents {
				p.event(ev)
			}
			if tt.start {
				p.event(start)
			}
			if tt.failed {
				p.fail()
			} else {
				p.finish()
			}
			if out.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
			if got := p.seenLog(); got != tt.wantSeen {
				t.Errorf("seenLog() = %q, want %q", got, tt.wantSeen)
			}
		})
	}
}

// The log of a step that is not a build (an image pulled or loaded) shows
// whole: it is a line or two the user should read.
func TestDeployProgressShowsOtherLogs(t *testing.T) {
	var out bytes.Buffer
	p := newDeployProgress(&out, false, false)
	p.buildStep = isBuildStep
	p.event(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 1, Total: 2, Message: `Resolving image "app:v1"`})
	p.event(lambdahttp.DeployEvent{Type: lambdahttp.EventLog, Message: "Image \"app:v1\" is not on the host; pulling it\n"})
	p.fail()
	want := "[1/2] Resolving image \"app:v1\"...\nImage \"app:v1\" is not on the host; pulling it\n"
	if out.String() != want || p.seenLog() != "" {
		t.Errorf("output %q (seen %q), want %q", out.String(), p.seenLog(), want)
	}
}
