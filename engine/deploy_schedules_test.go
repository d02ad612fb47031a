package engine_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/cron"
	"github.com/lambdahq/lambda/manifest"
	"github.com/lambdahq/lambda/sqlite"
)

// flakyScheduleStore fails its failAt-th insert.
type flakyScheduleStore struct {
	*sqlite.ScheduleStore
	failAt, inserts int
}

func (f *flakyScheduleStore) CreateSchedule(ctx context.Context, s *lambda.Schedule) error {
	f.inserts++
	if f.inserts == f.failAt {
		return errors.New("database is locked")
	}
	return f.ScheduleStore.CreateSchedule(ctx, s)
}

// CreateSchedules fails the batch that holds the failAt-th insert, as a
// transaction: none of it is stored.
func (f *flakyScheduleStore) CreateSchedules(ctx context.Context, list []*lambda.Schedule) error {
	f.inserts += len(list)
	if f.failAt > 0 && f.inserts >= f.failAt {
		return errors.New("database is locked")
	}
	return f.ScheduleStore.CreateSchedules(ctx, list)
}

// withManifests makes e read the lambda.yaml that its extract writes
// (yaml, changed between deploys) and apply schedules into the store.
func withManifests(t *testing.T, e *env, yaml *string, failAt int) *sqlite.ScheduleStore {
	t.Helper()
	store := sqlite.NewScheduleStore(e.db)
	e.eng.Manifests = manifest.Reader{}
	e.eng.Schedules = lambda.NewScheduleManager(&flakyScheduleStore{ScheduleStore: store, failAt: failAt}, cron.Parser{})
	e.eng.Extract = func(r io.Reader, dest string) (string, error) {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return "", err
		}
		return "c0de" + *yaml, os.WriteFile(filepath.Join(dest, manifest.FileName), []byte(*yaml), 0o644)
	}
	return store
}

func schedulesOf(t *testing.T, store *sqlite.ScheduleStore, name string) []*lambda.Schedule {
	t.Helper()
	list, err := store.ListSchedules(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

const twoSchedulesYAML = `memory: 128m
env: {A: file, B: file}
schedules:
  - cron: "0 * * * *"
  - cron: "30 8 * * 1-5"
    tz: Europe/Paris
`

// The server reads the uploaded lambda.yaml: its settings apply under the
// request's, and its schedules are created once the version serves.
func TestDeployAppliesManifest(t *testing.T) {
	e := newEnv(t)
	yaml := twoSchedulesYAML
	store := withManifests(t, e, &yaml, 0)
	ctx := context.Background()
	req := lambda.DeployRequest{Name: "greet", Config: lambda.Config{Env: map[string]string{"B": "flag"}}, Progress: &progress{}}

	req.Code = bytes.NewReader(nil)
	d, err := e.eng.Deploy(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	cfg := d.Active.Config
	if cfg.MemoryBytes != 128<<20 || cfg.Env["A"] != "file" || cfg.Env["B"] != "flag" {
		t.Errorf("config %+v: want the file's memory and env under the request's", cfg)
	}
	if len(d.Schedules) != 2 || d.Schedules[0].Existed || d.Schedules[1].Timezone != "Europe/Paris" || len(schedulesOf(t, store, "greet")) != 2 {
		t.Fatalf("schedules %+v", d.Schedules)
	}

	// The same tree again: the schedules kept.
	req.Code = bytes.NewReader(nil)
	if d, err = e.eng.Deploy(ctx, req); err != nil {
		t.Fatal(err)
	}
	if len(d.Schedules) != 2 || !d.Schedules[0].Existed || !d.Schedules[1].Existed || len(schedulesOf(t, store, "greet")) != 2 {
		t.Errorf("redeploy: schedules %+v", d.Schedules)
	}

	// Schedules in the request replace the file's.
	req.Code, req.Schedules = bytes.NewReader(nil), []lambda.ScheduleSpec{{Cron: "@daily"}}
	if d, err = e.eng.Deploy(ctx, req); err != nil {
		t.Fatal(err)
	}
	if len(d.Schedules) != 1 || d.Schedules[0].Cron != "@daily" || len(schedulesOf(t, store, "greet")) != 3 {
		t.Errorf("request schedules: %+v", d.Schedules)
	}
}

// A deploy whose manifest has a bad schedule, or a bad setting, creates
// nothing: no version, no schedule.
func TestDeployBadManifestCreatesNothing(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"bad schedule", twoSchedulesYAML + "  - cron: \"0 5-1 * * *\"\n", `schedules[2]: cron expression "0 5-1 * * *": hour range "5-1" runs backwards`},
		{"duplicate schedule", twoSchedulesYAML + "  - cron: \"0  *  * * *\"\n", `schedules[2]: function "greet" already has this schedule`},
		{"bad key", "memroy: 1g\n", `lambda.yaml: line 1: unknown key "memroy"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			store := withManifests(t, e, &tt.yaml, 0)
			_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "greet", Code: bytes.NewReader(nil), Progress: &progress{}})
			if err == nil || !strings.Contains(lambda.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if _, err := e.store.FindFunction(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
				t.Errorf("a version was recorded: %v", err)
			}
			if n := len(schedulesOf(t, store, "")); n != 0 || len(e.driver.Specs()) != 0 {
				t.Errorf("%d schedules, %d containers", n, len(e.driver.Specs()))
			}
		})
	}
}

// A deploy that fails to warm creates no schedule.
func TestDeployNotWarmCreatesNoSchedule(t *testing.T) {
	e, d := newStuckEnv(t)
	yaml := twoSchedulesYAML
	store := withManifests(t, e, &yaml, 0)
	d.stuck.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: bytes.NewReader(nil), Progress: &progress{},
		Scaling: lambda.ScalingPatch{StartTimeout: dur(time.Second)}})
	if err == nil || !strings.Contains(err.Error(), "did not start") {
		t.Fatalf("err = %v", err)
	}
	if n := len(schedulesOf(t, store, "")); n != 0 {
		t.Errorf("%d schedules created by a failed deploy", n)
	}
}

// A schedule that cannot be stored undoes the others, and the error says
// that the version is live.
func TestDeployScheduleInsertFails(t *testing.T) {
	e := newEnv(t)
	yaml := twoSchedulesYAML
	store := withManifests(t, e, &yaml, 2)
	_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "greet", Code: bytes.NewReader(nil), Progress: &progress{}})
	want := `version 1 of "greet" is live, but none of its 2 schedules was created: the store failed; deploy again to apply them`
	if lambda.ErrorMessage(err) != want || lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Errorf("err = %q\nwant  %q", lambda.ErrorMessage(err), want)
	}
	if n := len(schedulesOf(t, store, "")); n != 0 {
		t.Errorf("%d schedules left", n)
	}
	if fn, err := e.store.FindFunction(context.Background(), "greet"); err != nil || fn.ActiveVersion != 1 {
		t.Errorf("the version is not live: %v", err)
	}
}
