package lambda

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// memoryHistory stands for the store: it keeps what it is given.
type memoryHistory struct{ saved []*Invocation }

func (m *memoryHistory) SaveInvocations(_ context.Context, recs []*Invocation) error {
	m.saved = append(m.saved, recs...)
	return nil
}

func (m *memoryHistory) ListInvocations(_ context.Context, f JobFilter) ([]*Job, error) {
	var out []*Job
	for i := len(m.saved) - 1; i >= 0; i-- {
		if f.Function == "" || m.saved[i].Function == f.Function {
			out = append(out, InvocationJob(m.saved[i]))
		}
	}
	return out, nil
}

func (m *memoryHistory) FindInvocation(_ context.Context, id string) (*Job, error) {
	for _, r := range m.saved {
		if r.ID == id {
			return InvocationJob(r), nil
		}
	}
	return nil, Errorf(ENOTFOUND, "invocation %q not found", id)
}

func TestExternalHistory(t *testing.T) {
	ctx := context.Background()
	store := &memoryHistory{}
	h := NewExternalHistory(store, func(name string) bool { return name == "adder" })
	t0 := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	rec := func(i int, fn, status string) *Invocation {
		return &Invocation{ID: fmt.Sprintf("%s-%d", fn, i), Function: fn, Trigger: TriggerHTTP, Start: t0.Add(time.Duration(i) * time.Second), Status: status, HTTPStatus: 200}
	}
	if err := h.SaveInvocations(ctx, []*Invocation{rec(1, "adder", StatusSucceeded), rec(2, "greet", StatusSucceeded), rec(3, "adder", StatusFailed)}); err != nil {
		t.Fatal(err)
	}
	if len(store.saved) != 1 || store.saved[0].Function != "greet" {
		t.Fatalf("the store got %d records, want greet's alone", len(store.saved))
	}

	tests := []struct {
		name string
		f    JobFilter
		want []string
	}{
		{"external, newest first", JobFilter{Function: "adder"}, []string{"adder-3", "adder-1"}},
		{"deployed, from the store", JobFilter{Function: "greet"}, []string{"greet-2"}},
		{"every function", JobFilter{}, []string{"adder-3", "greet-2", "adder-1"}},
		{"status", JobFilter{Function: "adder", Status: StatusFailed}, []string{"adder-3"}},
		{"async statuses select no record", JobFilter{Function: "adder", Status: StatusQueued}, nil},
		{"since", JobFilter{Function: "adder", Since: t0.Add(2 * time.Second)}, []string{"adder-3"}},
		{"before", JobFilter{Function: "adder", Before: t0.Add(2 * time.Second)}, []string{"adder-1"}},
		{"limit", JobFilter{Function: "adder", Limit: 1}, []string{"adder-3"}},
	}
	for _, tt := range tests {
		list, err := h.ListInvocations(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range list {
			got = append(got, j.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}

	// Paging by cursor.
	first, _ := h.ListInvocations(ctx, JobFilter{Function: "adder", Limit: 1})
	next, _ := h.ListInvocations(ctx, JobFilter{Function: "adder", After: &JobCursor{CreatedAt: first[0].CreatedAt, Seq: first[0].Seq}})
	if len(next) != 1 || next[0].ID != "adder-1" {
		t.Errorf("page after %s: %v", first[0].ID, next)
	}

	for _, id := range []string{"adder-1", "greet-2"} {
		if j, err := h.FindInvocation(ctx, id); err != nil || j.ID != id || !j.Sync {
			t.Errorf("find %s: %+v, %v", id, j, err)
		}
	}
	if _, err := h.FindInvocation(ctx, "nope"); ErrorCode(err) != ENOTFOUND {
		t.Errorf("find an unknown ID: %v, want ENOTFOUND", err)
	}

	// Only the newest MaxInvocationsKept are kept.
	var many []*Invocation
	for i := range MaxInvocationsKept + 5 {
		many = append(many, rec(10+i, "adder", StatusSucceeded))
	}
	_ = h.SaveInvocations(ctx, many)
	all, _ := h.ListInvocations(ctx, JobFilter{Function: "adder", Limit: MaxJobListLimit})
	if len(all) != MaxInvocationsKept || all[len(all)-1].ID != "adder-15" {
		t.Errorf("kept %d records, oldest %s; want %d, oldest adder-15", len(all), all[len(all)-1].ID, MaxInvocationsKept)
	}
}
