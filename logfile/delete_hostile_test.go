package logfile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// Lines of a deleted function that reach the store after its deletion
// (the collector of a container stopped by the delete, reading what it
// printed last) are dropped: they neither bring its directory back, nor
// show up in the logs of a new function of the same name, possibly
// someone else's. The new function's own lines are kept.
func TestLinesOfADeletedFunctionArrivingLateAreDropped(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, nil)
	ctx := context.Background()
	printed := time.Now().Add(-time.Second)
	l := line("fn", 0, "")
	l.Time, l.Message = printed, "before the delete"
	s.Append(ctx, []lambda.LogLine{l})
	if err := s.DeleteFunction(ctx, "fn"); err != nil {
		t.Fatal(err)
	}
	late := l
	late.Time, late.Message = printed.Add(time.Millisecond), "printed before the delete, stored after"
	if err := s.Append(ctx, []lambda.LogLine{late}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "fn")); !os.IsNotExist(err) {
		t.Errorf("a late line brought the deleted function's directory back: %v", err)
	}
	got, _ := s.Query(ctx, lambda.LogFilter{Function: "fn"})
	if len(got) != 0 {
		t.Errorf("the deleted function's lines: %q", messages(got))
	}

	// A function of the same name deployed since keeps its lines.
	fresh := line("fn", 1, "")
	fresh.Time, fresh.Message = time.Now().Add(time.Millisecond), "the new function's"
	s.Append(ctx, []lambda.LogLine{late, fresh})
	got, _ = s.Query(ctx, lambda.LogFilter{Function: "fn"})
	if g := strings.Join(messages(got), ","); g != "the new function's" {
		t.Errorf("a new function of the same name: %q", g)
	}
}
