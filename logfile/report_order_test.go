package logfile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// The platform appends an invocation's START, END and REPORT lines after
// the lines the function printed; a query by invocation returns them in
// order, START to REPORT, and a resume point ignores them.
func TestQueryFramesInvocation(t *testing.T) {
	s := open(t, t.TempDir(), nil)
	ctx := context.Background()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	inv := &lambda.Invocation{ID: "inv-1", Function: "fn", Version: 1, Instance: "c0ffee0000001", Start: t0, Duration: 10 * time.Millisecond}
	printed := []lambda.LogLine{
		{Time: t0.Add(2 * time.Millisecond), Function: "fn", Version: 1, Instance: inv.Instance, Stream: lambda.StreamStdout, Invocation: "inv-1", Message: "one"},
		{Time: t0.Add(3 * time.Millisecond), Function: "fn", Version: 1, Instance: inv.Instance, Stream: lambda.StreamStdout, Invocation: "inv-2", Message: "other"},
		{Time: t0.Add(5 * time.Millisecond), Function: "fn", Version: 1, Instance: inv.Instance, Stream: lambda.StreamStderr, Invocation: "inv-1", Message: "two"},
		// Docker read it after the answer went out.
		{Time: t0.Add(12 * time.Millisecond), Function: "fn", Version: 1, Instance: inv.Instance, Stream: lambda.StreamStdout, Invocation: "inv-1", Message: "late"},
	}
	if err := s.Append(ctx, printed); err != nil {
		t.Fatal(err)
	}
	pl := lambda.PlatformLines(inv)
	if err := s.Append(ctx, pl[:]); err != nil {
		t.Fatal(err)
	}
	got, err := s.Query(ctx, lambda.LogFilter{Function: "fn", Invocation: "inv-1"})
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, l := range got {
		w, _, _ := strings.Cut(l.Message, " ")
		words = append(words, w)
	}
	if strings.Join(words, ",") != "START,one,two,late,END,REPORT" {
		t.Errorf("invocation's lines: %v", words)
	}
	last, err := s.Query(ctx, lambda.LogFilter{Function: "fn", Instance: inv.Instance, Tail: 1, OutputOnly: true})
	if err != nil || len(last) != 1 || last[0].Message != "late" {
		t.Errorf("the newest line the instance printed: %+v, %v", last, err)
	}
	until, err := s.Query(ctx, lambda.LogFilter{Function: "fn", Invocation: "inv-1", Until: t0.Add(5 * time.Millisecond)})
	if err != nil || len(until) != 2 || until[0].Stream != lambda.StreamPlatform || until[1].Message != "one" {
		t.Errorf("until: %+v, %v", until, err)
	}
}
