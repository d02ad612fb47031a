package lambda

import (
	"testing"
	"time"
)

func TestDeployManifestUnder(t *testing.T) {
	one, two, five := 1, 2, 5
	m := &DeployManifest{
		Config:    Config{Runtime: "python", Handler: "h.main", Port: 9000, MemoryBytes: 512 << 20, Timeout: Duration(time.Minute), Env: map[string]string{"A": "file", "B": "file"}, Placement: []string{"node.labels.gpu==true"}},
		Scaling:   ScalingPatch{MinInstances: &one, MaxInstances: &five},
		Schedules: []ScheduleSpec{{Cron: "@hourly"}},
	}
	tests := []struct {
		name  string
		req   DeployRequest
		check func(t *testing.T, got DeployRequest)
	}{
		{"the file alone", DeployRequest{Name: "greet"}, func(t *testing.T, got DeployRequest) {
			if got.Config.Runtime != "python" || got.Config.Port != 9000 || got.Config.Env["B"] != "file" || *got.Scaling.MaxInstances != 5 ||
				len(got.Config.Placement) != 1 || got.Config.Placement[0] != "node.labels.gpu==true" ||
				len(got.Schedules) != 1 || got.Schedules[0].Function != "greet" {
				t.Errorf("got %+v", got)
			}
		}},
		{"flags win", DeployRequest{Name: "greet", Config: Config{Runtime: "node", Port: 8081, Env: map[string]string{"B": "flag", "C": "flag"}, Placement: []string{"node.role==worker"}},
			Scaling: ScalingPatch{MaxInstances: &two}, Schedules: []ScheduleSpec{{Function: "greet", Cron: "@daily"}}}, func(t *testing.T, got DeployRequest) {
			c := got.Config
			if c.Runtime != "node" || c.Handler != "h.main" || c.Port != 8081 || c.MemoryBytes != 512<<20 || c.Env["A"] != "file" || c.Env["B"] != "flag" || c.Env["C"] != "flag" ||
				len(c.Placement) != 1 || c.Placement[0] != "node.role==worker" {
				t.Errorf("config %+v", c)
			}
			if *got.Scaling.MinInstances != 1 || *got.Scaling.MaxInstances != 2 {
				t.Errorf("scaling %+v", got.Scaling)
			}
			if len(got.Schedules) != 1 || got.Schedules[0].Cron != "@daily" {
				t.Errorf("schedules %+v", got.Schedules)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, m.Under(tt.req)) })
	}
	if m.Config.Env["B"] != "file" || *m.Scaling.MaxInstances != 5 {
		t.Errorf("Under changed the manifest: %+v", m)
	}
	var none *DeployManifest
	if got := none.Under(DeployRequest{Name: "x"}); got.Name != "x" {
		t.Errorf("nil manifest: %+v", got)
	}
}
