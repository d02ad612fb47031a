package docker

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/events"
)

// TestExitOf reads die events without asking the daemon: the inspect is
// only for a SIGKILL exit whose oom event the stream missed.
func TestExitOf(t *testing.T) {
	tests := []struct {
		name    string
		attrs   map[string]string
		oomSeen bool
		want    lambda.Exit
	}{
		{"exit code", map[string]string{"exitCode": "3"}, false, lambda.Exit{ID: "c1", ExitCode: 3}},
		{"out of memory", map[string]string{"exitCode": "137"}, true, lambda.Exit{ID: "c1", ExitCode: 137, OOMKilled: true}},
		{"no exit code", nil, false, lambda.Exit{ID: "c1", ExitCode: -1}},
		{"garbled exit code", map[string]string{"exitCode": "x"}, false, lambda.Exit{ID: "c1", ExitCode: -1}},
	}
	d := &Driver{} // no client: any call to the daemon would panic
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := events.Message{Action: events.ActionDie, Actor: events.Actor{ID: "c1", Attributes: tt.attrs}}
			if got := d.exitOf(context.Background(), m, tt.oomSeen); got != tt.want {
				t.Errorf("exitOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
