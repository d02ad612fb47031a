package lambda

import (
	"testing"
	"time"
)

func TestStartTimeout(t *testing.T) {
	tests := []struct {
		d  time.Duration
		ok bool
	}{
		{0, true}, // the default
		{time.Second, true},
		{MaxStartTimeout, true},
		{500 * time.Millisecond, false},
		{-time.Second, false},
		{MaxStartTimeout + time.Second, false},
	}
	for _, tt := range tests {
		err := Scaling{StartTimeout: Duration(tt.d)}.Validate()
		if (err == nil) != tt.ok || (err != nil && ErrorCode(err) != EINVALID) {
			t.Errorf("start timeout %s: %v, want ok=%v", tt.d, err, tt.ok)
		}
	}
	if got := (Scaling{}).Effective(ProtocolHTTP).StartTimeout; time.Duration(got) != DefaultStartTimeout {
		t.Errorf("default start timeout %s, want %s", got, DefaultStartTimeout)
	}
	d := Duration(2 * time.Minute)
	if got := (ScalingPatch{StartTimeout: &d}).Apply(Scaling{}); got.StartTimeout != d || (ScalingPatch{StartTimeout: &d}).IsZero() {
		t.Errorf("patch: %+v", got)
	}
}
