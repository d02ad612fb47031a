package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSchedule schedules a function with a seconds field and checks that
// ticks invoke it with the data, persist, and can be deleted.
func TestSchedule(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t) // its own: it restarts the server
	tick := s.fn("tick")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", tick)

	res := s.mustLambda("schedule", tick, "--cron", "*/2 * * * * *", "--data", `{"name":"cron"}`)
	if !strings.HasPrefix(res.stdout, `Scheduled function "`+tick+`" with cron: */2 * * * * *`) || !strings.Contains(res.stdout, "next run") {
		t.Errorf("schedule said %q", res.stdout)
	}

	type schedule struct {
		ID        string     `json:"id"`
		Cron      string     `json:"cron"`
		LastRunAt *time.Time `json:"last_run_at"`
	}
	list := func() []schedule {
		var out []schedule
		res := s.mustLambda("schedule", "list", tick, "-o", "json")
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
		detail := s.mustLambda("describe", tick, "-o", "json").stdout
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
		res := s.lambda("schedule", tick, "--cron", bad.cron)
		if res.code == 0 || !strings.Contains(res.stderr, bad.want) {
			t.Errorf("cron %q: exit %d %s", bad.cron, res.code, res.stderr)
		}
	}
	if res := s.lambda("schedule", tick, "--cron", "@hourly", "--tz", "Mars/Olympus"); res.code == 0 || !strings.Contains(res.stderr, "Mars/Olympus") {
		t.Errorf("bad tz: %+v", res)
	}
	if res := s.lambda("schedule", "nosuch", "--cron", "@hourly"); res.code == 0 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("unknown function: %+v", res)
	}
	if res := s.mustLambda("schedule", tick, "--cron", "@every 30s", "--overlap", "allow", "-o", "json"); !strings.Contains(res.stdout, `"overlap": "allow"`) {
		t.Errorf("@every: %s", res.stdout)
	}
	s.mustLambda("delete", tick)
	// Deleting the function deletes its schedules.
	if res := s.mustLambda("schedule", "list", "-o", "json"); strings.Contains(res.stdout, `"`+tick+`"`) {
		t.Errorf("schedules of a deleted function remain: %s", res.stdout)
	}
}

// TestScheduleCatchUp stops the server across two ticks of a schedule: the
// restarted server runs it exactly once for both, right away, and not
// again until the next day's ticks.
func TestScheduleCatchUp(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t) // its own: it is stopped across the ticks
	fn := s.fn("catchup")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", fn)

	// Two ticks a second apart, 6 s from now, in one minute: the cron
	// fires nowhere else today.
	first := time.Now().UTC().Add(6 * time.Second).Truncate(time.Second)
	if first.Second() > 57 {
		first = first.Truncate(time.Minute).Add(time.Minute)
	}
	second := first.Add(2 * time.Second)
	spec := fmt.Sprintf("%d,%d %d %d * * *", first.Second(), second.Second(), first.Minute(), first.Hour())
	// Overlap allowed: a second run must not hide behind the first one's
	// "still running" skip.
	s.mustLambda("schedule", fn, "--cron", spec, "--tz", "UTC", "--overlap", "allow", "--data", `{"name":"catch-up"}`)
	s.stop()
	if now := time.Now(); !now.Before(first) {
		t.Fatalf("the server took until %s to stop, past the first tick at %s", now.Format(time.StampMilli), first.Format(time.StampMilli))
	}
	time.Sleep(time.Until(second.Add(time.Second))) // the wall clock, not a synchronization
	s.start()

	marker := `body={"name":"catch-up"}`
	runs := func() int {
		n := 0
		for _, id := range s.containers(fn, true) {
			out, _ := exec.Command("docker", "logs", id).CombinedOutput()
			n += strings.Count(string(out), marker)
		}
		return n
	}
	waitFor(t, 20*time.Second, func() bool { return runs() >= 1 })
	var l []struct {
		LastRunAt *time.Time `json:"last_run_at"`
		NextRunAt time.Time  `json:"next_run_at"`
	}
	if err := json.Unmarshal([]byte(s.mustLambda("schedule", "list", fn, "-o", "json").stdout), &l); err != nil || len(l) != 1 {
		t.Fatalf("schedule list: %v %+v", err, l)
	}
	if l[0].LastRunAt == nil || l[0].LastRunAt.Before(second) {
		t.Errorf("last run at %v, want after the restart", l[0].LastRunAt)
	}
	if l[0].NextRunAt.Before(first.Add(23 * time.Hour)) {
		t.Errorf("next run at %s, want tomorrow: a missed tick is still pending", l[0].NextRunAt)
	}
	// Both missed ticks would have started by now; give a second run the
	// time an invocation of a warm instance takes to show.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if n := runs(); n != 1 {
			t.Fatalf("%d runs after the restart, want exactly 1", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.mustLambda("delete", fn)
}
