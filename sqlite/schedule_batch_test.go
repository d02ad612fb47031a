package sqlite

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
)

// CreateSchedules is one transaction: a schedule that cannot be stored
// (its function does not exist) leaves none of the list stored.
func TestCreateSchedulesAllOrNone(t *testing.T) {
	ctx := context.Background()
	_, ss := scheduleFixture(t)
	err := ss.CreateSchedules(ctx, []*lambda.Schedule{testSchedule("greet"), testSchedule("other"), testSchedule("ghost")})
	checkErr(t, err, lambda.ENOTFOUND, `function "ghost" not found`)
	if list, err := ss.ListSchedules(ctx, ""); err != nil || len(list) != 0 {
		t.Fatalf("after a failed batch: %d schedules, %v; want none", len(list), err)
	}
	if err := ss.CreateSchedules(ctx, []*lambda.Schedule{testSchedule("greet"), testSchedule("other")}); err != nil {
		t.Fatal(err)
	}
	if list, err := ss.ListSchedules(ctx, ""); err != nil || len(list) != 2 || list[0].ID == "" {
		t.Fatalf("after a batch: %+v, %v", list, err)
	}
}
