package main

import (
	"testing"
	"time"
)

// TestDeleteWarnsAboutDestinations: deleting a function that another names
// as a destination succeeds, as on AWS Lambda, and warns on stderr which
// setting now leads nowhere and how to clear it.
func TestDeleteWarnsAboutDestinations(t *testing.T) {
	tests := []struct {
		name       string
		onSuccess  string
		onFailure  string
		wantStderr string
	}{
		{"not a destination", "", "", ""},
		{"on_failure", "", "greet", "Warning: function \"hello\" names \"greet\" as its on_failure destination: its records will not be delivered until you change it, e.g. lambda config hello --on-failure \"\"\n"},
		{"both", "greet", "greet", "Warning: function \"hello\" names \"greet\" as its on_success destination: its records will not be delivered until you change it, e.g. lambda config hello --on-success \"\"\n" +
			"Warning: function \"hello\" names \"greet\" as its on_failure destination: its records will not be delivered until you change it, e.g. lambda config hello --on-failure \"\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			api.add("greet", 1, time.Now())
			api.add("hello", 1, time.Now())
			api.mu.Lock()
			api.functions["hello"].Scaling.OnSuccess, api.functions["hello"].Scaling.OnFailure = tt.onSuccess, tt.onFailure
			api.mu.Unlock()
			stdout, stderr, code := runCLI(t, url, "", "delete", "greet")
			if code != 0 || stdout != "Deleted function \"greet\"\n" || stderr != tt.wantStderr {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant stderr %q", code, stdout, stderr, tt.wantStderr)
			}
		})
	}
}
