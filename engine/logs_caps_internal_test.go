package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestInvocationCaps(t *testing.T) {
	var c invocationCaps
	big := strings.Repeat("x", 300<<10)
	var got []lambda.LogLine
	for i := range 5 { // 1.5 MB for a, interleaved with b and unattributed lines
		batch := []lambda.LogLine{
			{Invocation: "a", Message: big},
			{Invocation: "b", Message: fmt.Sprint("b", i)},
			{Message: big},
		}
		got = append(got, c.apply(batch)...)
	}
	var a, b, none int
	var marker *lambda.LogLine
	for i, l := range got {
		switch l.Invocation {
		case "a":
			a++
			if l.Truncated {
				marker = &got[i]
			}
		case "b":
			b++
		default:
			none++
		}
	}
	if a != 4 || marker == nil || !strings.Contains(marker.Message, "invocation a is over 1 MB") {
		t.Errorf("invocation a: %d lines kept, marker %v; want 3 lines and the marker", a, marker)
	}
	if b != 5 || none != 5 {
		t.Errorf("b kept %d of 5, unattributed %d of 5", b, none)
	}

	// The oldest invocations are forgotten past the tracked bound.
	for i := range maxTrackedInvocations + 10 {
		c.apply([]lambda.LogLine{{Invocation: fmt.Sprint("inv", i), Message: "x"}})
	}
	if len(c.used) != maxTrackedInvocations || len(c.order) != maxTrackedInvocations {
		t.Errorf("tracking %d (%d), want %d", len(c.used), len(c.order), maxTrackedInvocations)
	}
}
