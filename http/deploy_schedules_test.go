package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
)

// warmingDeployer deploys like the engine, as seen from the handler: it
// reads the code, reports the steps and fails to warm function "cold".
type warmingDeployer struct {
	lambda.FunctionService
	mu      sync.Mutex
	deploys int
}

func (d *warmingDeployer) Deploy(_ context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	d.mu.Lock()
	d.deploys++
	d.mu.Unlock()
	_, _ = io.Copy(io.Discard, req.Code)
	req.Progress.Step(2, 3, "Building image")
	req.Progress.Step(3, 3, "Starting container")
	if req.Name == "cold" {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "version 1 did not start, the previous version keeps serving: exited with code 1")
	}
	fn := &lambda.Function{Name: req.Name, ActiveVersion: 1, Active: &lambda.Version{Function: req.Name, Number: 1}}
	return &lambda.Deployment{Function: fn, Changed: true}, nil
}

func (d *warmingDeployer) Instances(context.Context, string) ([]*lambda.Instance, error) {
	return nil, nil
}

// flakySchedules is a ScheduleStore whose failAt-th insert fails.
type flakySchedules struct {
	memSchedules
	failAt, inserts int
}

func (f *flakySchedules) CreateSchedule(ctx context.Context, s *lambda.Schedule) error {
	f.inserts++
	if f.inserts == f.failAt {
		return errors.New("database is locked")
	}
	return f.memSchedules.CreateSchedule(ctx, s)
}

func (f *flakySchedules) DeleteSchedule(_ context.Context, id string) error {
	for i, s := range f.list {
		if s.ID == id {
			f.list = append(f.list[:i], f.list[i+1:]...)
			return nil
		}
	}
	return lambda.Errorf(lambda.ENOTFOUND, "schedule %s not found", id)
}

func newScheduleDeployServer(t *testing.T, failAt int) (*warmingDeployer, *flakySchedules, *Client) {
	t.Helper()
	d, store := &warmingDeployer{}, &flakySchedules{failAt: failAt}
	s := openForTest(NewServer())
	s.Functions, s.Schedules, s.Cron = d, store, fakeCron{}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return d, store, NewClient(srv.URL)
}

var twoSchedules = []ScheduleRequest{{Cron: "0 * * * *"}, {Cron: "30 8 * * 1-5", Timezone: "Europe/Paris", Overlap: lambda.OverlapAllow}}

// The server applies a deploy's schedules itself, once the version is
// live, all or none.
func TestDeploySchedules(t *testing.T) {
	ctx := context.Background()
	deploy := func(c *Client, name string, schedules []ScheduleRequest) (*DeployResult, error) {
		return c.Deploy(ctx, name, DeployRequest{Schedules: schedules}, strings.NewReader("CODE"), nil)
	}

	t.Run("all created, then kept", func(t *testing.T) {
		_, store, c := newScheduleDeployServer(t, 0)
		res, err := deploy(c, "greet", twoSchedules)
		if err != nil {
			t.Fatal(err)
		}
		if len(store.list) != 2 || len(res.Schedules) != 2 || res.Schedules[0].Existed || res.Schedules[1].ID != "sch_2" ||
			res.Schedules[1].Timezone != "Europe/Paris" || res.Schedules[1].Overlap != lambda.OverlapAllow || res.Schedules[1].Function != "greet" {
			t.Fatalf("stored %d, result %+v", len(store.list), res.Schedules)
		}
		res, err = deploy(c, "greet", twoSchedules)
		if err != nil {
			t.Fatal(err)
		}
		if len(store.list) != 2 || !res.Schedules[0].Existed || !res.Schedules[1].Existed || res.Schedules[0].ID != "sch_1" {
			t.Errorf("a second deploy: stored %d, result %+v", len(store.list), res.Schedules)
		}
	})

	t.Run("bad schedule: nothing is built or created", func(t *testing.T) {
		d, store, c := newScheduleDeployServer(t, 0)
		_, err := deploy(c, "greet", append(twoSchedules, ScheduleRequest{Cron: "bad"}))
		if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(lambda.ErrorMessage(err), "schedules[2]: ") {
			t.Errorf("err = %v", err)
		}
		if d.deploys != 0 || len(store.list) != 0 {
			t.Errorf("%d deploys, %d schedules", d.deploys, len(store.list))
		}
	})

	t.Run("failed warm-up: no schedule", func(t *testing.T) {
		d, store, c := newScheduleDeployServer(t, 0)
		_, err := deploy(c, "cold", twoSchedules)
		if lambda.ErrorCode(err) != lambda.EUNAVAILABLE || d.deploys != 1 || len(store.list) != 0 {
			t.Errorf("err %v, %d deploys, %d schedules", err, d.deploys, len(store.list))
		}
	})

	t.Run("failed insert: none created, the error says the version is live", func(t *testing.T) {
		_, store, c := newScheduleDeployServer(t, 2)
		_, err := deploy(c, "greet", twoSchedules)
		want := `version 1 of "greet" is live, but none of its 2 schedules was created: the store failed; deploy again to apply them (request ID `
		if !strings.HasPrefix(lambda.ErrorMessage(err), want) {
			t.Errorf("err = %q\nwant  %q", lambda.ErrorMessage(err), want)
		}
		if len(store.list) != 0 {
			t.Errorf("%d schedules left: %+v", len(store.list), store.list)
		}
	})

	t.Run("over the limit with the existing ones: none created", func(t *testing.T) {
		_, store, c := newScheduleDeployServer(t, 0)
		for i := range lambda.MaxSchedulesPerFunction - 1 {
			store.list = append(store.list, &lambda.Schedule{ID: fmt.Sprintf("old%d", i), Function: "greet", Cron: fmt.Sprintf("%d 1 * * *", i), Timezone: "UTC", Overlap: "skip"})
		}
		_, err := deploy(c, "greet", twoSchedules)
		if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(lambda.ErrorMessage(err), "is live, but none of its 2 schedules") {
			t.Errorf("err = %v", err)
		}
		if len(store.list) != lambda.MaxSchedulesPerFunction-1 {
			t.Errorf("%d schedules", len(store.list))
		}
	})
}
