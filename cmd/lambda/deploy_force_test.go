package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDeployUnchanged(t *testing.T) {
	tests := []struct {
		name       string
		function   string
		args       []string
		wantForce  bool
		wantStdout string
	}{
		{"nothing changed", "same", nil, false, "No changes: version 1 stays active (--force publishes a new version anyway)\nYour function is live at: http://same.localhost:8080\n"},
		{"forced", "same", []string{"--force"}, true, "Your function is live at: http://same.localhost:8080\n"},
		{"quiet: the URL alone", "same", []string{"-q"}, false, "Your function is live at: http://same.localhost:8080\n"},
		{"a canary of the canary's code", "same-canary", []string{"--canary", "20%"}, false, "No changes: version 2 stays live's canary, with 20% of its traffic (--force publishes a new version anyway)\nYour function is live at: http://same-canary.localhost:8080\n"},
		{"a canary of the active version's code", "same", []string{"--canary", "20%"}, false, "No changes: version 1, the active one, has this code and these settings: no canary published (--force publishes one anyway)\nYour function is live at: http://same.localhost:8080\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			args := append([]string{"deploy", functionDir(t, tt.function)}, tt.args...)
			stdout, stderr, code := runCLI(t, url, "", args...)
			if code != 0 || stdout != tt.wantStdout {
				t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, tt.wantStdout)
			}
			if api.lastDeploy.Force != tt.wantForce {
				t.Errorf("force sent = %v, want %v", api.lastDeploy.Force, tt.wantForce)
			}
		})
	}
}

func TestDeployUnchangedJSON(t *testing.T) {
	tests := []struct {
		args        []string
		wantChanged bool
	}{
		{nil, false},
		{[]string{"--force"}, true},
	}
	for _, tt := range tests {
		_, url := newFakeAPI(t)
		args := append([]string{"deploy", functionDir(t, "same"), "-o", "json"}, tt.args...)
		stdout, stderr, code := runCLI(t, url, "", args...)
		var got struct {
			Name    string `json:"name"`
			Changed *bool  `json:"changed"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 || got.Name != "same" || got.Changed == nil || *got.Changed != tt.wantChanged {
			t.Errorf("%v: exit %d, %v, stdout %q, stderr %q; want changed %v", tt.args, code, err, stdout, stderr, tt.wantChanged)
		}
		if strings.Contains(stdout, "No changes") {
			t.Errorf("the JSON document holds prose: %q", stdout)
		}
	}
}
