package logfile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/logfile"
)

// The size cap holds after every append, however big the batch: a
// collector hands up to 256 lines of up to 256 KB at once (64 MB), which
// went into one segment the cap could not remove until the next append,
// and stayed on disk if none came.
func TestSizeCapHoldsForOneBigBatch(t *testing.T) {
	dir := t.TempDir()
	const max = 1 << 20
	s := open(t, dir, func(s *logfile.Store) { s.MaxBytes = max })
	ctx := context.Background()
	big := strings.Repeat("b", 200<<10)
	for round, n := range []int{3, 40} { // a small batch, then 8 MB at once
		var batch []lambda.LogLine
		for i := range n {
			l := line("fn", round*100+i, "")
			l.Message = fmt.Sprintf("%d-%03d %s", round, i, big)
			batch = append(batch, l)
		}
		if err := s.Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if size := dirSize(t, filepath.Join(dir, "fn")); size > max {
			t.Errorf("after a batch of %d lines the function's logs take %d bytes, over the cap %d", n, size, max)
		}
	}
	got, err := s.Query(ctx, lambda.LogFilter{Function: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || !strings.HasPrefix(got[len(got)-1].Message, "1-039 ") {
		t.Errorf("kept %d lines; want the newest of the batch among several", len(got))
	}
}
