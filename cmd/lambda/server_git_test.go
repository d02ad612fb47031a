package main

import (
	"strings"
	"testing"
)

// A cloned tree is extracted within the upload's limits: git limits above
// them would be promises the extraction breaks, so they are refused.
func TestGitLimitsWithinTheExtraction(t *testing.T) {
	for _, tt := range []struct {
		o    gitOptions
		want string
	}{
		{gitOptions{maxBytes: "200MB", maxFiles: "20000", timeout: "2m"}, ""},
		{gitOptions{maxBytes: "1GB", maxFiles: "20000", timeout: "2m"}, "--git-max-bytes \"1GB\" is over the 200MB"},
		{gitOptions{maxBytes: "200MB", maxFiles: "50000", timeout: "2m"}, "--git-max-files \"50000\" is over the 20000"},
		{gitOptions{maxBytes: "200MB", maxFiles: "0", timeout: "2m"}, "use a positive number"},
	} {
		_, err := tt.o.parse()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: %v", tt.o, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.want)
		}
	}
}
