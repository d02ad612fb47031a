package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// t0 has nanoseconds so the tests catch any loss of precision.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

// clock returns t0, t0+1s, t0+2s, ... and is safe for concurrent use.
func clock() func() time.Time {
	var mu sync.Mutex
	next := t0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := next
		next = next.Add(time.Second)
		return t
	}
}

// openTestDB opens a fresh database in a directory Open has to create.
func openTestDB(t *testing.T) *DB {
	t.Helper()
	db := NewDB(filepath.Join(t.TempDir(), "data", "lambda.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	db.Now = clock() // after Open, which reads the time for its migrations
	t.Cleanup(func() { db.Close(context.Background()) })
	return db
}

// withoutJournal has db write every create into jobs, for tests of the
// rows' own mechanics (the journal's are in job_journal_test.go).
func withoutJournal(db *DB) { db.batcher.noJournal = true }

func testVersion(fn string, n int) *lambda.Version {
	return &lambda.Version{
		Function: fn,
		Number:   n,
		Image:    fmt.Sprintf("func-%s:v%d", fn, n),
		ImageID:  "sha256:abc",
		Config: lambda.Config{
			Runtime:     lambda.RuntimeGo,
			Protocol:    lambda.ProtocolHTTP,
			Port:        8080,
			Env:         map[string]string{"GREETING": "hi"},
			MemoryBytes: 128 << 20,
			Timeout:     lambda.Duration(1500 * time.Millisecond),
		},
		CodeSHA256: "deadbeef",
		CreatedAt:  t0.Add(time.Duration(n) * time.Hour),
	}
}

func mustPublish(t *testing.T, fs *FunctionStore, v *lambda.Version) {
	t.Helper()
	if err := fs.PublishVersion(context.Background(), v); err != nil {
		t.Fatalf("PublishVersion(%s v%d): %v", v.Function, v.Number, err)
	}
}

// checkErr fails unless err has code want ("" = no error) and, when msg is
// not empty, a message containing msg.
func checkErr(t *testing.T, err error, want, msg string) {
	t.Helper()
	if got := lambda.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
	if msg != "" && !strings.Contains(lambda.ErrorMessage(err), msg) {
		t.Fatalf("error message = %q, want it to contain %q", lambda.ErrorMessage(err), msg)
	}
}
