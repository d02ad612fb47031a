package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func statsMinute(fn string, at time.Time, n int64, d time.Duration) *lambda.StatsMinute {
	m := &lambda.StatsMinute{Function: fn, Minute: at, StatsCounts: lambda.StatsCounts{Invocations: n, Errors: 1, Throttles: 2, ColdStarts: 3}}
	for range n {
		m.Latency.Add(d)
	}
	return m
}

func TestStatsSaveMergeList(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if err := NewFunctionStore(db).PublishVersion(ctx, testVersion("greet", 1)); err != nil {
		t.Fatal(err)
	}
	s := NewStatsStore(db)
	m0 := t0.Truncate(time.Minute)
	if err := s.SaveStats(ctx, []*lambda.StatsMinute{
		statsMinute("greet", m0, 10, time.Millisecond),
		statsMinute("greet", m0.Add(time.Minute), 5, time.Second),
		statsMinute("nope", m0, 7, time.Millisecond), // no such function: dropped
	}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// The same minute again (a restart within it): merged, not replaced.
	if err := s.SaveStats(ctx, []*lambda.StatsMinute{statsMinute("greet", m0, 4, 10*time.Millisecond)}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListStats(ctx, "greet", m0, m0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d minutes, want 2", len(got))
	}
	want := lambda.StatsCounts{Invocations: 14, Errors: 2, Throttles: 4, ColdStarts: 6}
	if !got[0].Minute.Equal(m0) || got[0].StatsCounts != want || got[0].Latency.Count() != 14 {
		t.Errorf("merged minute: %v %+v, %d timed; want %v %+v, 14", got[0].Minute, got[0].StatsCounts, got[0].Latency.Count(), m0, want)
	}
	if p := got[0].Latency.Quantile(1); p < 9*time.Millisecond || p > 11*time.Millisecond {
		t.Errorf("merged minute's max %s, want about 10ms", p)
	}
	if got[1].Invocations != 5 || got[1].Latency.Quantile(0.5) < 990*time.Millisecond {
		t.Errorf("second minute: %+v, p50 %s", got[1].StatsCounts, got[1].Latency.Quantile(0.5))
	}
	if only, _ := s.ListStats(ctx, "greet", m0.Add(time.Minute), m0.Add(2*time.Minute)); len(only) != 1 {
		t.Errorf("[m1, m2): %d minutes, want 1", len(only))
	}
	if none, _ := s.ListStats(ctx, "nope", m0, m0.Add(time.Hour)); len(none) != 0 {
		t.Errorf("a function that does not exist has %d minutes", len(none))
	}

	// Pruning drops what is older than its limit, in the same save.
	if err := s.SaveStats(ctx, nil, m0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.ListStats(ctx, "greet", m0, m0.Add(time.Hour)); len(left) != 1 || !left[0].Minute.Equal(m0.Add(time.Minute)) {
		t.Errorf("after pruning: %d minutes", len(left))
	}

	// Deleting the function deletes its history.
	if err := NewFunctionStore(db).DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.ListStats(ctx, "greet", m0, m0.Add(time.Hour)); len(left) != 0 {
		t.Errorf("a deleted function keeps %d minutes", len(left))
	}
}

// History survives closing and opening the database: a restart.
func TestStatsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambda.db")
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := NewFunctionStore(db).PublishVersion(ctx, testVersion("greet", 1)); err != nil {
		t.Fatal(err)
	}
	m0 := t0.Truncate(time.Minute)
	if err := NewStatsStore(db).SaveStats(ctx, []*lambda.StatsMinute{statsMinute("greet", m0, 3, time.Millisecond)}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	db.Close(ctx)
	db = NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	got, err := NewStatsStore(db).ListStats(ctx, "greet", m0, m0.Add(time.Minute))
	if err != nil || len(got) != 1 || got[0].Invocations != 3 || got[0].Latency.Count() != 3 {
		t.Fatalf("after reopening: %v, %v", got, err)
	}
}

func TestStatsStoreClosed(t *testing.T) {
	s := NewStatsStore(NewDB(filepath.Join(t.TempDir(), "x.db")))
	if err := s.SaveStats(context.Background(), nil, time.Time{}); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Errorf("save on a closed database: %v", err)
	}
	if _, err := s.ListStats(context.Background(), "f", t0, t0); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Errorf("list on a closed database: %v", err)
	}
}
