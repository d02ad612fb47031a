package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDeployUnchanged(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantForce  bool
		wantStdout string
	}{
		{"nothing changed", nil, false, "No changes: version 1 stays active (--force publishes a new version anyway)\nYour function is live at: http://same.localhost:8080\n"},
		{"forced", []string{"--force"}, true, "Your function is live at: http://same.localhost:8080\n"},
		{"quiet: the URL alone", []string{"-q"}, false, "Your function is live at: http://same.localhost:8080\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			args := append([]string{"deploy", functionDir(t, "same")}, tt.args...)
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
