package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSchedule schedules a function with a seconds field and checks that
// ticks invoke it with the data, persist, and can be deleted.
func TestSchedule(t *testing.T) {
	requireDocker(t)
	s := startServer(t)
	cleanupFunction(t, "tick")
	s.mustLambda("deploy", "testdata/fixture", "--name", "tick")

	res := s.mustLambda("schedule", "tick", "--cron", "*/2 * * * * *", "--data", `{"name":"cron"}`)
	if !strings.HasPrefix(res.stdout, `Scheduled function "tick" with cron: */2 * * * * *`) || !strings.Contains(res.stdout, "next run") {
		t.Errorf("schedule said %q", res.stdout)
	}

	type schedule struct {
		ID        string     `json:"id"`
		Cron      string     `json:"cron"`
		LastRunAt *time.Time `json:"last_run_at"`
	}
	list := func() []schedule {
		var out []schedule
		res := s.mustLambda("schedule", "list", "tick", "-o", "json")
		if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
			t.Fatalf("schedule list: %v %s", err, res.stdout)
		}
		return out
	}
	waitFor(t, 15*time.Second, func() bool {
		l := list()
		return len(l) == 1 && l[0].LastRunAt != nil
	})
	var id string
	waitFor(t, 10*time.Second, func() bool {
		detail := s.mustLambda("describe", "tick", "-o", "json").stdout
		var d struct{ Instances []struct{ ID string } }
		_ = json.Unmarshal([]byte(detail), &d)
		if len(d.Instances) == 0 {
			return false
		}
		id = d.Instances[0].ID
		return strings.Contains(docker(t, "logs", id), `request POST / body={"name":"cron"}`)
	})

	// Schedules survive a restart.
	s.restart()
	l := list()
	if len(l) != 1 || l[0].Cron != "*/2 * * * * *" {
		t.Fatalf("after restart: %+v", l)
	}
	if res := s.mustLambda("schedule", "list"); !strings.Contains(res.stdout, l[0].ID) {
		t.Errorf("schedule list:\n%s", res.stdout)
	}
	s.mustLambda("schedule", "delete", l[0].ID)
	if l := list(); len(l) != 0 {
		t.Errorf("after delete: %+v", l)
	}

	for _, bad := range []struct{ cron, want string }{
		{"61 * * * *", "61"},
		{"* * *", "fields"},
		{"not a cron", "not a cron"},
		{"CRON_TZ=UTC * * * * *", "--tz"},
	} {
		res := s.lambda("schedule", "tick", "--cron", bad.cron)
		if res.code == 0 || !strings.Contains(res.stderr, bad.want) {
			t.Errorf("cron %q: exit %d %s", bad.cron, res.code, res.stderr)
		}
	}
	if res := s.lambda("schedule", "tick", "--cron", "@hourly", "--tz", "Mars/Olympus"); res.code == 0 || !strings.Contains(res.stderr, "Mars/Olympus") {
		t.Errorf("bad tz: %+v", res)
	}
	if res := s.lambda("schedule", "nosuch", "--cron", "@hourly"); res.code == 0 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("unknown function: %+v", res)
	}
	if res := s.mustLambda("schedule", "tick", "--cron", "@every 30s", "--overlap", "allow", "-o", "json"); !strings.Contains(res.stdout, `"overlap": "allow"`) {
		t.Errorf("@every: %s", res.stdout)
	}
	s.mustLambda("delete", "tick")
	// Deleting the function deletes its schedules.
	if res := s.mustLambda("schedule", "list", "-o", "json"); strings.Contains(res.stdout, `"tick"`) {
		t.Errorf("schedules of a deleted function remain: %s", res.stdout)
	}
}
