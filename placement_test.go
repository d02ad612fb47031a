package lambda

import "testing"

func TestValidatePlacement(t *testing.T) {
	tests := []struct {
		in []string
		ok bool
	}{
		{nil, true},
		{[]string{"node.labels.gpu==true"}, true},
		{[]string{"node.hostname != lsw-n3", "node.role==worker"}, true},
		{[]string{"engine.labels.zone==eu-west-1"}, true},
		{[]string{"node.labels.gpu"}, false},
		{[]string{"gpu==true"}, false},
		{[]string{"node.labels.gpu==true; rm -rf /"}, false},
		{[]string{"node.labels.gpu=="}, false},
		{[]string{""}, false},
		{make([]string, MaxPlacements+1), false},
	}
	for _, tt := range tests {
		err := ValidatePlacement(tt.in)
		if (err == nil) != tt.ok || (err != nil && ErrorCode(err) != EINVALID) {
			t.Errorf("ValidatePlacement(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}
