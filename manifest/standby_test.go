package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestParseStandbyTimeout(t *testing.T) {
	tests := []struct {
		yaml    string
		want    *lambda.Duration
		wantErr string
	}{
		{"standby_timeout: 30m", durPtr(30 * time.Minute), ""},
		{"standby_timeout: 0s", durPtr(0), ""},
		{"standby_timeout: 0", durPtr(0), ""},
		{"standby_timeout: 500ms", nil, "lambda.yaml: line 1: standby_timeout: 500ms is out of range: use 1s to 24h0m0s, or 0"},
		{"standby_timeout: soon", nil, `standby_timeout: "soon" is not a duration`},
	}
	for _, tt := range tests {
		m, err := Parse([]byte(tt.yaml))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: %v, want an error containing %q", tt.yaml, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.yaml, err)
			continue
		}
		if got := m.Scaling.StandbyTimeout; got == nil || *got != *tt.want {
			t.Errorf("%q: standby timeout %v, want %s", tt.yaml, got, *tt.want)
		}
	}
}
