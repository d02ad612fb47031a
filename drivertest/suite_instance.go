package drivertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func (s *suite) testStartInvalid(t *testing.T) {
	good := lambda.InstanceSpec{Function: "ok", Version: 1, Image: s.tag, Port: 8080}
	tests := []struct {
		name   string
		mutate func(*lambda.InstanceSpec)
	}{
		{"port 0", func(sp *lambda.InstanceSpec) { sp.Port = 0 }},
		{"port too high", func(sp *lambda.InstanceSpec) { sp.Port = 70000 }},
		{"bad function name", func(sp *lambda.InstanceSpec) { sp.Function = "Bad Name" }},
		{"no image", func(sp *lambda.InstanceSpec) { sp.Image = "" }},
		{"bad env name", func(sp *lambda.InstanceSpec) { sp.Env = map[string]string{"1X": "y"} }},
	}
	for _, tt := range tests {
		spec := good
		tt.mutate(&spec)
		inst, err := s.d.StartInstance(testContext(t), spec)
		if inst != nil {
			_ = s.d.StopInstance(context.Background(), inst.ID, 0)
		}
		wantCode(t, "StartInstance with "+tt.name, err, lambda.EINVALID)
	}
}

func (s *suite) testStartMissingImage(t *testing.T) {
	spec := lambda.InstanceSpec{Function: "nothing", Version: 1, Image: s.missing, Port: 8080}
	inst, err := s.d.StartInstance(testContext(t), spec)
	if inst != nil {
		_ = s.d.StopInstance(context.Background(), inst.ID, 0)
	}
	wantCode(t, "StartInstance of a missing image", err, lambda.ENOTFOUND)
}

func (s *suite) testLifecycle(t *testing.T) {
	inst := s.start(t, s.imageID, "lifecycle", map[string]string{"GREETING": "hello drivertest"})
	if body := s.get(t, inst.Addr, "/hi"); body != "GET /hi " {
		t.Errorf("GET /hi answered %q, want the echo %q", body, "GET /hi ")
	}
	if got := s.get(t, inst.Addr, "/env/GREETING"); got != "hello drivertest" {
		t.Errorf("GREETING in the instance = %q, want the spec's value", got)
	}
	if got := s.get(t, inst.Addr, "/env/PORT"); got != "8080" {
		t.Errorf("PORT in the instance = %q, want 8080", got)
	}

	listed := s.findInstance(t, inst.ID)
	switch {
	case listed == nil:
		t.Fatalf("ListInstances does not list %s", inst.ID)
	case listed.Function != "lifecycle" || listed.Version != 7 || !listed.Running || listed.Addr != inst.Addr:
		t.Errorf("ListInstances shows %+v, want function lifecycle, version 7, running, addr %s", listed, inst.Addr)
	case listed.CreatedAt.IsZero():
		t.Errorf("ListInstances shows no creation time: %+v", listed)
	}

	var logs string
	eventually(t, "the instance's log lines", func() bool {
		var err error
		logs, err = s.d.InstanceLogs(testContext(t), inst.ID, 100)
		if err != nil {
			t.Fatalf("InstanceLogs: %v", err)
		}
		return strings.Contains(logs, StartLine) && strings.Contains(logs, "request GET /hi")
	})
	last, err := s.d.InstanceLogs(testContext(t), inst.ID, 1)
	if err != nil || len(lines(last)) != 1 {
		t.Errorf("InstanceLogs(tail 1) = %q, %v; want one line", last, err)
	}

	if err := s.d.StopInstance(testContext(t), inst.ID, 2*time.Second); err != nil {
		t.Fatalf("StopInstance: %v", err)
	}
	if s.findInstance(t, inst.ID) != nil {
		t.Error("ListInstances still lists a stopped instance")
	}
	if err := s.d.StopInstance(testContext(t), inst.ID, 0); err != nil {
		t.Errorf("second StopInstance: %v", err)
	}
	_, err = s.d.InstanceLogs(testContext(t), inst.ID, 10)
	wantCode(t, "InstanceLogs of a removed instance", err, lambda.ENOTFOUND)
}

func (s *suite) testWatchExits(t *testing.T) {
	wctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	exits, err := s.d.WatchExits(wctx)
	if err != nil {
		t.Fatalf("WatchExits: %v", err)
	}
	inst := s.start(t, s.tag, "exits", nil)
	if body := s.get(t, inst.Addr, "/exit"); body != "bye" {
		t.Errorf("GET /exit answered %q", body)
	}

	timeout := time.After(20 * time.Second)
	for seen := false; !seen; {
		select {
		case exit, ok := <-exits:
			if !ok {
				t.Fatal("WatchExits closed its channel before ctx ended")
			}
			if seen = exit.ID == inst.ID; seen && (exit.ExitCode != 3 || exit.OOMKilled) {
				t.Errorf("WatchExits reported %+v, want exit code 3, not out of memory", exit)
			}
		case <-timeout:
			t.Fatalf("WatchExits did not report that %s exited", inst.ID)
		}
	}
	eventually(t, "the exited instance to be listed as not running", func() bool {
		listed := s.findInstance(t, inst.ID)
		return listed != nil && !listed.Running
	})
	logs, err := s.d.InstanceLogs(testContext(t), inst.ID, 0)
	if err != nil || !strings.Contains(logs, ExitLine) {
		t.Errorf("InstanceLogs of the exited instance = %q, %v; want its last words", logs, err)
	}

	cancel()
	for closed := false; !closed; {
		select {
		case _, ok := <-exits:
			closed = !ok
		case <-time.After(10 * time.Second):
			t.Fatal("WatchExits did not close its channel after ctx ended")
		}
	}
}

func (s *suite) testMissingInstance(t *testing.T) {
	id := strings.Repeat("0", 64)
	if err := s.d.StopInstance(testContext(t), id, time.Second); err != nil {
		t.Errorf("StopInstance of a missing instance: %v", err)
	}
	_, err := s.d.InstanceLogs(testContext(t), id, 10)
	wantCode(t, "InstanceLogs of a missing instance", err, lambda.ENOTFOUND)
	if s.findInstance(t, id) != nil {
		t.Error("ListInstances lists an instance that does not exist")
	}
}
