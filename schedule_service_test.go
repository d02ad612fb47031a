package lambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/cron"
)

// memScheduleStore is an in-memory ScheduleStore.
type memScheduleStore struct {
	lambda.ScheduleStore
	list []*lambda.Schedule
}

func (m *memScheduleStore) CreateSchedule(_ context.Context, s *lambda.Schedule) error {
	s.ID = fmt.Sprintf("sch_%d", len(m.list)+1)
	m.list = append(m.list, s)
	return nil
}

func (m *memScheduleStore) ListSchedules(_ context.Context, fn string) ([]*lambda.Schedule, error) {
	var out []*lambda.Schedule
	for _, s := range m.list {
		if fn == "" || s.Function == fn {
			out = append(out, s)
		}
	}
	return out, nil
}

func newManager(existing ...*lambda.Schedule) (*lambda.ScheduleManager, *memScheduleStore) {
	store := &memScheduleStore{list: existing}
	m := lambda.NewScheduleManager(store, cron.Parser{})
	m.Now = func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) }
	return m, store
}

func TestScheduleServiceCreate(t *testing.T) {
	full := func() []*lambda.Schedule {
		var out []*lambda.Schedule
		for i := range lambda.MaxSchedulesPerFunction {
			out = append(out, &lambda.Schedule{ID: fmt.Sprintf("old%d", i), Function: "greet", Cron: fmt.Sprintf("%d 1 * * *", i)})
		}
		return out
	}
	hourly := &lambda.Schedule{ID: "sch_old", Function: "greet", Cron: "0  *  * * *", Timezone: "UTC", Overlap: "allow"}
	tests := []struct {
		name     string
		existing []*lambda.Schedule
		spec     lambda.ScheduleSpec
		code     string
		want     string // the error's message contains it
	}{
		{"valid", nil, lambda.ScheduleSpec{Function: "greet", Cron: "*/5 * * * *"}, "", ""},
		{"valid with zone, data, overlap", nil, lambda.ScheduleSpec{Function: "greet", Cron: "30 8 * * 1-5", Timezone: "Europe/Paris", Data: json.RawMessage(`{"a":1}`), Overlap: "queue"}, "", ""},
		{"bad function name", nil, lambda.ScheduleSpec{Function: "Greet", Cron: "* * * * *"}, lambda.EINVALID, `function name "Greet"`},
		{"bad cron", nil, lambda.ScheduleSpec{Function: "greet", Cron: "0 5-1 * * *"}, lambda.EINVALID, `hour range "5-1" runs backwards`},
		{"unknown descriptor", nil, lambda.ScheduleSpec{Function: "greet", Cron: "@often"}, lambda.EINVALID, `unknown descriptor "@often"`},
		{"bad time zone", nil, lambda.ScheduleSpec{Function: "greet", Cron: "* * * * *", Timezone: "Mars/Olympus"}, lambda.EINVALID, "Mars/Olympus"},
		{"bad overlap", nil, lambda.ScheduleSpec{Function: "greet", Cron: "* * * * *", Overlap: "never"}, lambda.EINVALID, `overlap "never" is invalid`},
		{"bad data", nil, lambda.ScheduleSpec{Function: "greet", Cron: "* * * * *", Data: json.RawMessage(`{`)}, lambda.EINVALID, "not valid JSON"},
		{"data too large", nil, lambda.ScheduleSpec{Function: "greet", Cron: "* * * * *", Data: json.RawMessage(`"` + strings.Repeat("x", lambda.MaxAsyncPayloadBytes) + `"`)}, lambda.ETOOLARGE, "over the"},
		{"duplicate, spacing and zone aside", []*lambda.Schedule{hourly}, lambda.ScheduleSpec{Function: "greet", Cron: "0 * * * *"}, lambda.ECONFLICT, "id sch_old"},
		{"same cron, other data", []*lambda.Schedule{hourly}, lambda.ScheduleSpec{Function: "greet", Cron: "0 * * * *", Data: json.RawMessage(`{"a":1}`)}, "", ""},
		{"over the limit", full(), lambda.ScheduleSpec{Function: "greet", Cron: "0 3 * * *"}, lambda.EINVALID, "the limit is 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, store := newManager(tt.existing...)
			sch, err := m.Create(context.Background(), tt.spec)
			if lambda.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) || !strings.Contains(lambda.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want code %q containing %q", err, tt.code, tt.want)
			}
			if err != nil {
				if len(store.list) != len(tt.existing) {
					t.Errorf("a refused schedule was stored")
				}
				return
			}
			if sch.ID == "" || sch.Timezone == "" || sch.Overlap == "" || !sch.NextRunAt.After(m.Now()) {
				t.Errorf("created %+v", sch)
			}
		})
	}
}

func TestScheduleServiceApply(t *testing.T) {
	ctx := context.Background()
	specs := []lambda.ScheduleSpec{{Cron: "0 * * * *"}, {Cron: "0 8 * * *", Timezone: "Europe/Paris"}}

	m, store := newManager(&lambda.Schedule{ID: "mine", Function: "greet", Cron: "0 * * * *", Timezone: "UTC", Overlap: "skip"})
	applied, err := m.Apply(ctx, "greet", specs)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 2 || !applied[0].Existed || applied[0].ID != "mine" || applied[1].Existed || applied[1].Function != "greet" || len(store.list) != 2 {
		t.Fatalf("applied %+v, stored %d", applied, len(store.list))
	}

	// Same cron, another overlap policy: a conflict, not a second schedule.
	m, store = newManager(&lambda.Schedule{ID: "mine", Function: "greet", Cron: "0 * * * *", Timezone: "UTC", Overlap: "allow"})
	if _, err := m.Apply(ctx, "greet", specs); lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.HasPrefix(lambda.ErrorMessage(err), "schedules[0]: ") || len(store.list) != 1 {
		t.Errorf("err %v, stored %d", err, len(store.list))
	}

	// A bad one among good ones: none is created.
	m, store = newManager()
	bad := append(specs[:2:2], lambda.ScheduleSpec{Cron: "61 * * * *"})
	if _, err := m.Apply(ctx, "greet", bad); lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(lambda.ErrorMessage(err), "schedules[2]: ") || len(store.list) != 0 {
		t.Errorf("err %v, stored %d", err, len(store.list))
	}
	if err := m.Check("greet", bad); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("Check: %v", err)
	}
	dup := []lambda.ScheduleSpec{{Cron: "0 * * * *"}, {Cron: "0 * * * *", Timezone: "UTC"}}
	if err := m.Check("greet", dup); lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(lambda.ErrorMessage(err), "id schedules[0]") {
		t.Errorf("Check of duplicates: %v", err)
	}
}

// ApplyAll applies the schedules of several functions as one set: a bad
// one of any function creates none, and the error names the function.
func TestScheduleServiceApplyAll(t *testing.T) {
	ctx := context.Background()
	m, store := newManager()
	sets := []lambda.ScheduleSet{
		{Function: "api"},
		{Function: "report", Specs: []lambda.ScheduleSpec{{Cron: "0 8 * * 1-5"}}},
		{Function: "tick", Specs: []lambda.ScheduleSpec{{Cron: "*/30 * * * * *"}, {Cron: "61 * * * *"}}},
	}
	if _, err := m.ApplyAll(ctx, sets); lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(lambda.ErrorMessage(err), `function "tick": schedules[1]: `) || len(store.list) != 0 {
		t.Fatalf("err %v, stored %d", err, len(store.list))
	}
	sets[2].Specs = sets[2].Specs[:1]
	out, err := m.ApplyAll(ctx, sets)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[0] != nil || len(out[1]) != 1 || out[1][0].Function != "report" || len(out[2]) != 1 || len(store.list) != 2 {
		t.Fatalf("ApplyAll = %+v, stored %d", out, len(store.list))
	}
	// Again: both kept, nothing created.
	out, err = m.ApplyAll(ctx, sets)
	if err != nil || !out[1][0].Existed || !out[2][0].Existed || len(store.list) != 2 {
		t.Fatalf("ApplyAll again = %+v, %v, stored %d", out, err, len(store.list))
	}
}
