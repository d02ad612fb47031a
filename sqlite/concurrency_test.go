package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// publishNext publishes the next version of fn, retrying when another
// writer took the number first, as the deploy service does.
func publishNext(ctx context.Context, fs *FunctionStore, fn string) error {
	for {
		n, err := fs.NextVersion(ctx, fn)
		if err != nil {
			return err
		}
		err = fs.PublishVersion(ctx, testVersion(fn, n))
		if lambda.ErrorCode(err) != lambda.ECONFLICT {
			return err
		}
	}
}

// TestConcurrentWrites races publishes, schedule runs and reads on one DB;
// run it with -race. No write may fail with SQLITE_BUSY and no version
// number may be lost or duplicated.
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	fs, ss := NewFunctionStore(db), NewScheduleStore(db)
	mustPublish(t, fs, testVersion("hot", 1))
	var ids []string
	for range 4 {
		s := testSchedule("hot")
		if err := ss.CreateSchedule(ctx, s); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}

	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				errs <- publishNext(ctx, fs, "hot")
				at := t0.Add(time.Duration(w*each+i) * time.Minute)
				errs <- ss.MarkScheduleRun(ctx, ids[w%len(ids)], at, at.Add(time.Minute))
				_, err := fs.ListFunctions(ctx)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent operation failed: %v", err)
		}
	}

	vs, err := fs.ListVersions(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1+workers*each {
		t.Fatalf("%d versions, want %d", len(vs), 1+workers*each)
	}
	for i, v := range vs {
		if v.Number != i+1 {
			t.Fatalf("version at %d is %d: numbers must run 1..%d", i, v.Number, len(vs))
		}
	}
	f, err := fs.FindFunction(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	if f.ActiveVersion < 2 {
		t.Fatalf("active version %d: no concurrent publish took effect", f.ActiveVersion)
	}
}

// TestConcurrentProcesses opens the same file twice, as two server
// processes would, and writes from both: immediate transactions and the
// busy timeout must serialize them without SQLITE_BUSY.
func TestConcurrentProcesses(t *testing.T) {
	ctx := context.Background()
	first := openTestDB(t)
	second := NewDB(first.Path)
	if err := second.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer second.Close(ctx)

	const handles, rounds = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, handles*rounds*4)
	for i, db := range []*DB{first, second, first, second} {
		fs, ss := NewFunctionStore(db), NewScheduleStore(db)
		wg.Go(func() {
			for j := range rounds {
				errs <- publishNext(ctx, fs, "shared")
				errs <- publishNext(ctx, fs, fmt.Sprintf("own-%d-%d", i, j))
				// Both read before they write: under a deferred BEGIN
				// the upgrade to a write lock fails with SQLITE_BUSY.
				errs <- fs.ActivateVersion(ctx, "shared", 1)
				errs <- ss.CreateSchedule(ctx, testSchedule("shared"))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("write from one of two handles failed: %v", err)
		}
	}
	fns, err := NewFunctionStore(second).ListFunctions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 1+handles*rounds {
		t.Fatalf("%d functions, want %d", len(fns), 1+handles*rounds)
	}
	if n, _ := NewFunctionStore(first).NextVersion(ctx, "shared"); n != 1+handles*rounds {
		t.Fatalf("NextVersion(shared) = %d, want %d", n, 1+handles*rounds)
	}
}
