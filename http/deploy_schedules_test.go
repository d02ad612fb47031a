package http

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

// scheduleDeployer answers a deploy's schedules as the engine does once
// they are applied: the first as kept, the others as created.
type scheduleDeployer struct {
	lambda.FunctionService
	mu      sync.Mutex
	deploys int
	got     []lambda.ScheduleSpec
}

func (d *scheduleDeployer) Deploy(_ context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deploys++
	d.got = req.Schedules
	_, _ = io.Copy(io.Discard, req.Code)
	req.Progress.Step(2, 3, "Building image")
	req.Progress.Step(3, 3, "Starting container")
	fn := &lambda.Function{Name: req.Name, ActiveVersion: 1, Active: &lambda.Version{Function: req.Name, Number: 1}}
	out := &lambda.Deployment{Function: fn, Changed: true}
	for i, s := range req.Schedules {
		out.Schedules = append(out.Schedules, lambda.AppliedSchedule{Schedule: &lambda.Schedule{ID: "sch_" + s.Cron, Function: s.Function, Cron: s.Cron}, Existed: i == 0})
	}
	return out, nil
}

func (d *scheduleDeployer) Instances(context.Context, string) ([]*lambda.Instance, error) {
	return nil, nil
}

// A deploy's schedules are checked before the deploy starts, passed to the
// FunctionService, which applies them, and returned in the done event.
func TestDeploySchedules(t *testing.T) {
	d, changed := &scheduleDeployer{}, 0
	s := openForTest(NewServer())
	s.Functions, s.Schedules, s.Cron = d, &memSchedules{}, fakeCron{}
	s.SchedulesChanged = func() { changed++ }
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL)
	ctx := context.Background()
	two := []ScheduleRequest{{Cron: "0 * * * *"}, {Cron: "30 8 * * 1-5", Timezone: "Europe/Paris"}}

	res, err := c.Deploy(ctx, "greet", DeployRequest{Schedules: two}, strings.NewReader("CODE"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.got) != 2 || d.got[0].Function != "greet" || d.got[1].Timezone != "Europe/Paris" {
		t.Errorf("the service got %+v", d.got)
	}
	if len(res.Schedules) != 2 || !res.Schedules[0].Existed || res.Schedules[1].Existed || res.Schedules[1].ID != "sch_30 8 * * 1-5" {
		t.Errorf("result %+v", res.Schedules)
	}
	if changed != 1 {
		t.Errorf("the scheduler was told %d times, want once", changed)
	}

	_, err = c.Deploy(ctx, "greet", DeployRequest{Schedules: append(two, ScheduleRequest{Cron: "bad"})}, strings.NewReader("CODE"), nil)
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(lambda.ErrorMessage(err), "schedules[2]: ") || d.deploys != 1 {
		t.Errorf("a bad schedule: err %v, %d deploys", err, d.deploys)
	}
}
