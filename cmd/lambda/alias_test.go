package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

func TestParseWeight(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"10%", 0.1, true},
		{"0.1", 0.1, true},
		{"100%", 1, true},
		{"0", 0, true},
		{" 25% ", 0.25, true},
		{"1.5", 0, false},
		{"101%", 0, false},
		{"-1%", 0, false},
		{"NaN", 0, false},
		{"ten", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseWeight("--canary", tt.in)
		if (err == nil) != tt.ok || tt.ok && got != tt.want {
			t.Errorf("parseWeight(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if n, w, err := parseVersionWeight("3=10%"); err != nil || n != 3 || w != 0.1 {
		t.Errorf("parseVersionWeight(3=10%%) = %d, %v, %v", n, w, err)
	}
	for _, bad := range []string{"3", "x=0.1", "03=0.1", "3=2"} {
		if _, _, err := parseVersionWeight(bad); err == nil {
			t.Errorf("parseVersionWeight(%q) accepted", bad)
		}
	}
}

func TestInvokeQualifier(t *testing.T) {
	tests := []struct {
		arg, flag       string
		async           bool
		name, want, err string
	}{
		{arg: "greet", name: "greet"},
		{arg: "greet:canary", name: "greet", want: "canary"},
		{arg: "greet:3", name: "greet", want: "3"},
		{arg: "greet", flag: "3", name: "greet", want: "3"},
		{arg: "greet:3", flag: "3", name: "greet", want: "3"},
		{arg: "greet:3", flag: "4", err: "give one of them"},
		{arg: "greet:", err: "without an alias"},
		{arg: "greet:Prod", err: "contains 'P'"},
		{arg: "greet:canary", async: true, name: "greet", want: "canary"},
		{arg: "greet:$LATEST", async: true, name: "greet", want: "$LATEST"},
	}
	for _, tt := range tests {
		o := &invokeOptions{qualifier: tt.flag, async: tt.async}
		name, err := o.splitQualifier(tt.arg)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q --qualifier %q: %v, want %q", tt.arg, tt.flag, err, tt.err)
			}
			continue
		}
		if err != nil || name != tt.name || o.qualifier != tt.want {
			t.Errorf("%q --qualifier %q = %q, %q, %v", tt.arg, tt.flag, name, o.qualifier, err)
		}
	}
}

// TestDescribeAliases: describe lists each alias with where it sends its
// traffic.
func TestDescribeAliases(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/functions/greet", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(lambdahttp.FunctionDetail{
			Name: "greet", Status: "ready", Active: &lambda.Version{Function: "greet", Number: 3},
			Aliases: []*lambda.Alias{
				{Function: "greet", Name: "live", Version: 3, AdditionalVersion: 4, Weight: 0.1},
				{Function: "greet", Name: "beta", Version: 4},
			},
		})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	stdout, stderr, code := runCLI(t, srv.URL, "", "describe", "greet")
	want := "Aliases:          live: version 3 (90%), version 4 (10%)\n                  beta: version 4\n"
	if code != 0 || !strings.Contains(stdout, want) {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant it to hold:\n%s", code, stderr, stdout, want)
	}
}

func TestFormatWeight(t *testing.T) {
	for w, want := range map[float64]string{0.1: "10%", 1 - 0.7: "30%", 0.125: "12.5%", 1: "100%", 0.0001: "0.01%"} {
		if got := formatWeight(w); got != want {
			t.Errorf("formatWeight(%v) = %q, want %q", w, got, want)
		}
	}
}
