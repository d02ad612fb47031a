package jsonenc

import (
	"bytes"
	"testing"
	"time"
)

func checkTime(t *testing.T, tm time.Time) {
	t.Helper()
	want, err := tm.MarshalJSON()
	got, ok := AppendTime([]byte("x"), tm)
	if ok != (err == nil) {
		t.Fatalf("AppendTime(%v): ok %v, MarshalJSON's error %v", tm, ok, err)
	}
	if !ok {
		if string(got) != "x" {
			t.Fatalf("AppendTime(%v) appended %q when it failed", tm, got[1:])
		}
		return
	}
	if !bytes.Equal(got[1:], want) {
		t.Fatalf("AppendTime(%v) = %s, MarshalJSON %s", tm, got[1:], want)
	}
}

func TestAppendTime(t *testing.T) {
	zones := []*time.Location{
		time.UTC, time.Local, time.FixedZone("ist", 5*3600+30*60), time.FixedZone("neg", -(9*3600 + 30*60)),
		time.FixedZone("sec", -30), time.FixedZone("secs", 3600+59), time.FixedZone("edge", 24*3600-1),
		time.FixedZone("-edge", -(24*3600 - 1)), time.FixedZone("out", 24*3600), time.FixedZone("-out", -24*3600),
	}
	times := []time.Time{
		time.Now(), time.Unix(0, 0), time.Unix(-1, 999999999), time.Unix(1<<31, 1), time.Unix(951782400, 120000000), // 2000-02-29
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 3, 1, 12, 30, 45, 500, time.UTC), time.Date(2100, 2, 28, 1, 2, 3, 100000000, time.UTC),
		time.Date(1600, 2, 29, 0, 0, 0, 0, time.UTC), {}, time.Unix(1<<63-1, 0), time.Unix(-1<<63, 0),
		time.Unix(253402300799, 0), time.Unix(253402300800, 0), time.Unix(-62167219200, 0), time.Unix(-62167219201, 0),
	}
	for _, tm := range times {
		for _, z := range zones {
			checkTime(t, tm.In(z))
		}
	}
	// Every day of four centuries around the epoch and a leap cycle.
	for d := time.Date(1800, 1, 1, 23, 59, 59, 10, time.UTC); d.Year() < 2200; d = d.AddDate(0, 0, 1) {
		checkTime(t, d)
	}
}

func FuzzAppendTime(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(-62135596800), int64(999999999), -30)
	f.Add(int64(253402300799), int64(1), 86399)
	f.Add(int64(1<<63-1), int64(0), 3600)
	f.Add(int64(-1<<63), int64(0), -3600)
	f.Fuzz(func(t *testing.T, sec, nsec int64, off int) {
		checkTime(t, time.Unix(sec, nsec).In(time.FixedZone("z", off%(48*3600))))
	})
}

func BenchmarkAppendTime(b *testing.B) {
	tm := time.Date(2026, 12, 6, 1, 40, 12, 345678900, time.UTC)
	buf := make([]byte, 0, 64)
	b.Run("jsonenc", func(b *testing.B) {
		for b.Loop() {
			buf, _ = AppendTime(buf[:0], tm)
		}
	})
	b.Run("AppendFormat", func(b *testing.B) {
		for b.Loop() {
			buf = append(tm.AppendFormat(append(buf[:0], '"'), time.RFC3339Nano), '"')
		}
	})
}
