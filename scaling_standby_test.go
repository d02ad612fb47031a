package lambda

import (
	"strings"
	"testing"
	"time"
)

func TestScalingStandbyTimeout(t *testing.T) {
	d := func(v time.Duration) *Duration { x := Duration(v); return &x }
	tests := []struct {
		name    string
		set     *Duration
		want    time.Duration
		wantErr string
	}{
		{"unset is the default", nil, DefaultStandbyTimeout, ""},
		{"0 disables", d(0), 0, ""},
		{"30s", d(30 * time.Second), 30 * time.Second, ""},
		{"24h", d(24 * time.Hour), 24 * time.Hour, ""},
		{"too short", d(500 * time.Millisecond), 0, "standby timeout 500ms is out of range 1s-24h (0 disables paused standby"},
		{"too long", d(25 * time.Hour), 0, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := ScalingPatch{StandbyTimeout: tt.set}.Apply(Scaling{})
			err := sc.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sc.Effective(ProtocolHTTP).Standby(); got != tt.want {
				t.Errorf("Standby() = %s, want %s", got, tt.want)
			}
		})
	}
	// A patch that only sets the standby timeout is not empty, and a later
	// patch without it keeps it.
	p := ScalingPatch{StandbyTimeout: d(0)}
	if p.IsZero() {
		t.Error("a patch setting only standby_timeout is empty")
	}
	sc := ScalingPatch{Concurrency: new(int)}.Apply(p.Apply(Scaling{}))
	if sc.Standby() != 0 {
		t.Errorf("another patch changed the standby timeout to %s", sc.Standby())
	}
}
