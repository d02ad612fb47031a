package sqlite

import (
	"context"
	"database/sql"
	"testing"
)

// A schedule without a time zone is stored and read as UTC, as the table
// of "lambda schedule list" shows it, including rows written before that.
func TestScheduleTimezoneIsNamed(t *testing.T) {
	ctx := context.Background()
	_, ss := scheduleFixture(t)
	sc := testSchedule("greet")
	sc.Timezone = ""
	if err := ss.CreateSchedule(ctx, sc); err != nil {
		t.Fatal(err)
	}
	legacy := testSchedule("other")
	if err := ss.CreateSchedule(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if err := ss.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE schedules SET timezone = '' WHERE id = ?`, legacy.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	list, err := ss.ListSchedules(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("got %d schedules, want 2", len(list))
	}
	for _, got := range list {
		if got.Timezone != "UTC" {
			t.Errorf("schedule %s has time zone %q, want UTC", got.ID, got.Timezone)
		}
	}
}
