package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format, level string
		wantErr       string // a word the error must name
		json          bool
	}{
		{"text", "info", "", false},
		{"json", "debug", "", true},
		{"json", "WARN", "", true},
		{"yaml", "info", "--log-format", false},
		{"JSON", "info", "--log-format", false},
		{"", "info", "--log-format", false},
		{"text", "loud", "--log-level", false},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			logger, err := newLogger(&buf, tt.format, tt.level)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one about %s", err, tt.wantErr)
				}
				if tt.wantErr == "--log-format" && !(strings.Contains(err.Error(), "text") && strings.Contains(err.Error(), "json")) {
					t.Errorf("error %q does not name the valid formats", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			logger.Error("hello", "request_id", "r-1")
			var m map[string]any
			isJSON := json.Unmarshal(buf.Bytes(), &m) == nil
			if isJSON != tt.json || !strings.Contains(buf.String(), "r-1") {
				t.Errorf("logged %q, want JSON %v", buf.String(), tt.json)
			}
		})
	}
}

// TestServerLogFormatRefused: a bad --log-format (or LAMBDA_LOG_FORMAT)
// stops the server before it opens anything, saying what is valid.
func TestServerLogFormatRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
	}{
		{"flag", "", []string{"server", "--log-format", "yaml"}},
		{"env", "yaml", []string{"server"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LAMBDA_LOG_FORMAT", tc.env)
			dir := t.TempDir()
			_, stderr, code := runCLI(t, "", "", append(tc.args, "--data", dir, "--addr", "127.0.0.1:0")...)
			if code == 0 || !strings.Contains(stderr, `--log-format "yaml" is invalid: use text`) || !strings.Contains(stderr, "json") {
				t.Errorf("exit %d, stderr %q: want a refusal naming text and json", code, stderr)
			}
		})
	}
}
