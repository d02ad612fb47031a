package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A phase the bench does not have is refused before anything starts, not
// ignored with no profile written.
func TestBenchProfilePhase(t *testing.T) {
	var out, errOut bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errOut}
	err := runBench(context.Background(), s, &benchOptions{cpuProfile: t.TempDir() + "/cpu.prof", profilePhase: "queue"})
	if err == nil || !strings.Contains(err.Error(), `--profile-phase "queue" is not a phase of the bench: use one of warm, async, cold, stdio, scale`) {
		t.Errorf("err = %v", err)
	}
	if errOut.Len() != 0 {
		t.Errorf("the bench started:\n%s", errOut.String())
	}
}

// --phases names phases of the bench; a typo is refused before anything
// starts rather than running nothing.
func TestBenchPhases(t *testing.T) {
	var out, errOut bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errOut}
	err := runBench(context.Background(), s, &benchOptions{phases: []string{"warm", "latency"}})
	if err == nil || !strings.Contains(err.Error(), `--phases "latency" is not a phase of the bench: use some of warm, async, cold, stdio, scale`) {
		t.Errorf("err = %v", err)
	}
	if errOut.Len() != 0 {
		t.Errorf("the bench started:\n%s", errOut.String())
	}
}
