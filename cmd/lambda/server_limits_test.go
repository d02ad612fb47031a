package main

import (
	"strings"
	"testing"
	"time"

	lhttp "github.com/lambdahq/lambda/http"
)

func TestClientLimitOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    clientLimitOptions
		wantErr string
	}{
		{"defaults", clientLimitOptions{"30s", "10s", "30s"}, ""},
		{"short", clientLimitOptions{"1ms", "2s", "1m"}, ""},
		{"zero read timeout", clientLimitOptions{"0s", "10s", "30s"}, "--read-timeout"},
		{"not a duration", clientLimitOptions{"30s", "ten", "30s"}, "--read-header-timeout"},
		{"below a millisecond", clientLimitOptions{"30s", "10s", "1ns"}, "--write-timeout"},
		{"negative", clientLimitOptions{"-1s", "10s", "30s"}, "--read-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := tt.opts.parse()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			srv := lhttp.NewServer()
			set(srv)
			want := []string{tt.opts.readTimeout, tt.opts.readHeaderTimeout, tt.opts.writeTimeout}
			for i, got := range []time.Duration{srv.BodyReadTimeout, srv.ReadHeaderTimeout, srv.WriteTimeout} {
				if d, _ := time.ParseDuration(want[i]); got != d {
					t.Errorf("limit %d = %s, want %s", i, got, d)
				}
			}
		})
	}
}
