package lambda

import (
	"strings"
	"testing"
	"time"
)

func TestMergeInvocations(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	at := func(id string, s int, seq int64) *Job {
		return &Job{ID: id, CreatedAt: t0.Add(time.Duration(s) * time.Second), Seq: seq}
	}
	ids := func(js []*Job) string {
		var out []string
		for _, j := range js {
			out = append(out, j.ID)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name          string
		jobs, records []*Job
		limit         int
		want          string
		next          *JobCursor
	}{
		{"empty", nil, nil, 5, "", nil},
		{"jobs only", []*Job{at("j2", 2, 2), at("j1", 1, 1)}, nil, 5, "j2,j1", nil},
		{"interleaved by time", []*Job{at("j3", 3, 2), at("j1", 1, 1)}, []*Job{at("r2", 2, 9), at("r0", 0, 8)}, 5, "j3,r2,j1,r0", nil},
		{"jobs first at equal times", []*Job{at("j", 1, 1)}, []*Job{at("r", 1, 7)}, 5, "j,r", nil},
		{"full page: cursor after a record", []*Job{at("j1", 1, 1)}, []*Job{at("r2", 2, 9), at("r0", 0, 8)}, 2, "r2,j1",
			&JobCursor{CreatedAt: t0.Add(time.Second), Seq: 1}},
		{"full page: cursor after a job", []*Job{at("j1", 1, 1)}, []*Job{at("r2", 2, 9), at("r0", 0, 8)}, 1, "r2",
			&JobCursor{CreatedAt: t0.Add(2 * time.Second), Seq: 9, Record: true}},
		{"a record of a listed job is left out", []*Job{at("x", 1, 1)}, []*Job{at("x", 1, 7), at("r", 0, 6)}, 5, "x,r", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, next := MergeInvocations(tt.jobs, tt.records, tt.limit)
			if got := ids(page); got != tt.want {
				t.Errorf("page %q, want %q", got, tt.want)
			}
			if (next == nil) != (tt.next == nil) || (next != nil && *next != *tt.next) {
				t.Errorf("next %+v, want %+v", next, tt.next)
			}
		})
	}
}

// Paging the merged listing with ForJobs and ForRecords lists every entry
// once, in order, whatever the page size: the stores' filters are
// emulated with Follows-like comparisons.
func TestMergedPaging(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var jobs, records []*Job
	// Newest first; times collide across and within kinds.
	for i, s := range []int{9, 7, 7, 5, 3, 3, 1} {
		jobs = append(jobs, &Job{ID: "j" + string(rune('a'+i)), CreatedAt: t0.Add(time.Duration(s) * time.Second), Seq: int64(100 - i)})
	}
	for i, s := range []int{9, 8, 7, 7, 3, 2, 0} {
		records = append(records, &Job{ID: "r" + string(rune('a'+i)), CreatedAt: t0.Add(time.Duration(s) * time.Second), Seq: int64(50 - i)})
	}
	after := func(list []*Job, c *JobCursor, limit int) []*Job {
		var out []*Job
		for _, j := range list {
			if c != nil && !c.Follows(j) {
				continue
			}
			if out = append(out, j); len(out) == limit {
				break
			}
		}
		return out
	}
	all, _ := MergeInvocations(jobs, records, 100)
	for limit := 1; limit <= 15; limit++ {
		var got []*Job
		var c *JobCursor
		for range 20 {
			page, next := MergeInvocations(after(jobs, c.ForJobs(), limit), after(records, c.ForRecords(), limit), limit)
			got = append(got, page...)
			if next == nil {
				break
			}
			// Through its text form, as clients pass it.
			var err error
			if c, err = ParseJobCursor(next.String()); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != len(all) {
			t.Fatalf("limit %d: listed %d, want %d", limit, len(got), len(all))
		}
		for i := range got {
			if got[i].ID != all[i].ID {
				t.Fatalf("limit %d: entry %d is %s, want %s", limit, i, got[i].ID, all[i].ID)
			}
		}
	}
}

func TestInvocationJob(t *testing.T) {
	start := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	j := InvocationJob(&Invocation{ID: "a", Function: "f", Version: 3, Trigger: TriggerHTTP, Start: start,
		Duration: time.Second, Status: StatusFailed, HTTPStatus: 502, Cold: true, ErrorType: EFUNCTION, RuntimeExit: "exit status 2"})
	if !j.Sync || j.Attempts != 1 || !j.FinishedAt.Equal(start.Add(time.Second)) || j.Pending() || len(j.History) != 1 ||
		!j.History[0].Cold || j.History[0].Status != StatusFailed || j.Version != 3 || j.HTTPStatus != 502 ||
		j.History[0].RuntimeExit != "exit status 2" {
		t.Errorf("job %+v", j)
	}
	for tr, sync := range map[Trigger]bool{TriggerHTTP: true, TriggerInvoke: true, TriggerAPI: true, TriggerAsync: false, TriggerCron: false} {
		if tr.Sync() != sync {
			t.Errorf("%s.Sync() = %v", tr, !sync)
		}
	}
}

// FuzzParseJobCursor: a cursor comes from clients as they please. Parsing
// never panics, and what parses prints as a token that parses back to it.
func FuzzParseJobCursor(f *testing.F) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, c := range []*JobCursor{{CreatedAt: t0, Seq: 7}, {CreatedAt: t0, Seq: 9, Record: true}, {CreatedAt: t0, Seq: maxSeq}} {
		f.Add(c.String())
	}
	f.Add("MTc2NDkyOTYwMDAwMDAwMDAwMC43LnI")
	f.Add("not-a-cursor")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := ParseJobCursor(token)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseJobCursor(%q): %v, want EINVALID", token, err)
			}
			return
		}
		again, err := ParseJobCursor(c.String())
		if err != nil || !again.CreatedAt.Equal(c.CreatedAt) || again.Seq != c.Seq || again.Record != c.Record {
			t.Fatalf("%q parsed as %+v, printed %q, parsed back as %+v (%v)", token, c, c.String(), again, err)
		}
	})
}
