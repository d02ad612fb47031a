package sqlite

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func testSchedule(fn string) *lambda.Schedule {
	return &lambda.Schedule{
		Function:  fn,
		Cron:      "*/5 * * * *",
		Timezone:  "Europe/Paris",
		Data:      json.RawMessage(`{"hello":"world"}`),
		Overlap:   lambda.OverlapSkip,
		NextRunAt: t0.Add(5 * time.Minute),
	}
}

// scheduleFixture opens a database holding functions greet and other.
func scheduleFixture(t *testing.T) (*FunctionStore, *ScheduleStore) {
	t.Helper()
	db := openTestDB(t)
	fs := NewFunctionStore(db)
	mustPublish(t, fs, testVersion("greet", 1))
	mustPublish(t, fs, testVersion("other", 1))
	return fs, NewScheduleStore(db)
}

func TestCreateSchedule(t *testing.T) {
	ctx := context.Background()
	_, ss := scheduleFixture(t)
	withID := testSchedule("greet")
	withID.ID = "sch_mine"
	withID.CreatedAt = t0.Add(-time.Hour)
	ran := t0.Add(-time.Minute)
	withID.LastRunAt = &ran
	noData := testSchedule("other")
	noData.Data = nil

	tests := []struct {
		name string
		s    *lambda.Schedule
		code string
		msg  string
	}{
		{"generated id", testSchedule("greet"), "", ""},
		{"given id", withID, "", ""},
		{"no data", noData, "", ""},
		{"taken id", &lambda.Schedule{ID: "sch_mine", Function: "greet", Cron: "@daily"}, lambda.ECONFLICT, `schedule "sch_mine" already exists`},
		{"unknown function", testSchedule("nope"), lambda.ENOTFOUND, `function "nope" not found`},
		{"no function", testSchedule(""), lambda.EINVALID, "no function name"},
		{"nil", nil, lambda.EINVALID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ss.CreateSchedule(ctx, tt.s)
			checkErr(t, err, tt.code, tt.msg)
			if err != nil {
				return
			}
			if tt.s.CreatedAt.IsZero() {
				t.Fatal("CreatedAt was not set")
			}
			got, err := ss.FindSchedule(ctx, tt.s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.s) {
				t.Fatalf("FindSchedule = %+v\nwant %+v", got, tt.s)
			}
		})
	}
	if !regexp.MustCompile(`^sch_[0-9a-f]{12}$`).MatchString(tests[0].s.ID) {
		t.Errorf("generated ID %q does not look like sch_ and 12 hex digits", tests[0].s.ID)
	}
	if !withID.CreatedAt.Equal(t0.Add(-time.Hour)) {
		t.Errorf("given CreatedAt was overwritten with %v", withID.CreatedAt)
	}
}

func TestNewScheduleIDUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewScheduleID()
		if seen[id] {
			t.Fatalf("NewScheduleID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestFindSchedule(t *testing.T) {
	ctx := context.Background()
	_, ss := scheduleFixture(t)
	s := testSchedule("greet")
	if err := ss.CreateSchedule(ctx, s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want *lambda.Schedule
		code string
		msg  string
	}{
		{s.ID, s, "", ""},
		{"sch_missing", nil, lambda.ENOTFOUND, `schedule "sch_missing" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := ss.FindSchedule(ctx, tt.id)
			checkErr(t, err, tt.code, tt.msg)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("FindSchedule = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestListSchedules(t *testing.T) {
	ctx := context.Background()
	_, ss := scheduleFixture(t)
	// Created out of order: the list must follow CreatedAt, not insertion.
	mk := func(id, fn string, age time.Duration) {
		s := testSchedule(fn)
		s.ID, s.CreatedAt = id, t0.Add(-age)
		if err := ss.CreateSchedule(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	mk("sch_b", "greet", 2*time.Hour)
	mk("sch_c", "other", 1*time.Hour)
	mk("sch_a", "greet", 3*time.Hour)
	mk("sch_d", "greet", 500*time.Millisecond)

	tests := []struct {
		function string
		want     []string
	}{
		{"", []string{"sch_a", "sch_b", "sch_c", "sch_d"}},
		{"greet", []string{"sch_a", "sch_b", "sch_d"}},
		{"other", []string{"sch_c"}},
		{"nope", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			list, err := ss.ListSchedules(ctx, tt.function)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, s := range list {
				got = append(got, s.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ListSchedules(%q) = %v, want %v", tt.function, got, tt.want)
			}
		})
	}
}

func TestDeleteSchedule(t *testing.T) {
	ctx := context.Background()
	_, ss := scheduleFixture(t)
	s := testSchedule("greet")
	if err := ss.CreateSchedule(ctx, s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id, code, msg string
	}{
		{s.ID, "", ""},
		{s.ID, lambda.ENOTFOUND, `schedule "` + s.ID + `" not found`},
		{"sch_missing", lambda.ENOTFOUND, `schedule "sch_missing" not found`},
	}
	for _, tt := range tests {
		checkErr(t, ss.DeleteSchedule(ctx, tt.id), tt.code, tt.msg)
	}
	_, err := ss.FindSchedule(ctx, s.ID)
	checkErr(t, err, lambda.ENOTFOUND, "")
}

func TestMarkScheduleRun(t *testing.T) {
	ctx := context.Background()
	_, ss := scheduleFixture(t)
	s := testSchedule("greet")
	if err := ss.CreateSchedule(ctx, s); err != nil {
		t.Fatal(err)
	}
	ran := time.Date(2025, 3, 4, 6, 0, 0, 42, time.FixedZone("CET", 3600))
	tests := []struct {
		name, id  string
		ran, next time.Time
		code, msg string
	}{
		{"first run", s.ID, ran, ran.Add(5 * time.Minute), "", ""},
		{"second run", s.ID, ran.Add(5 * time.Minute), ran.Add(10 * time.Minute), "", ""},
		{"missing", "sch_missing", ran, ran, lambda.ENOTFOUND, `schedule "sch_missing" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, ss.MarkScheduleRun(ctx, tt.id, tt.ran, tt.next), tt.code, tt.msg)
			if tt.code != "" {
				return
			}
			got, err := ss.FindSchedule(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastRunAt == nil || !got.LastRunAt.Equal(tt.ran) || !got.NextRunAt.Equal(tt.next) {
				t.Fatalf("after mark: last %v next %v; want %v and %v", got.LastRunAt, got.NextRunAt, tt.ran, tt.next)
			}
			if got.Cron != s.Cron || string(got.Data) != string(s.Data) || !got.CreatedAt.Equal(s.CreatedAt) {
				t.Fatalf("mark changed other fields: %+v", got)
			}
		})
	}
}
