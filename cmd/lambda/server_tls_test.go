package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServerTLSFlags: incomplete TLS options are usage errors before the
// server opens anything, and --ca-cert, a client flag, is neither listed
// nor accepted by the commands that run the platform.
func TestServerTLSFlags(t *testing.T) {
	isolateCredentials(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"cert alone", []string{"--tls-cert", "cert.pem"}, "--tls-cert and --tls-key go together"},
		{"key alone", []string{"--tls-key", "key.pem"}, "--tls-cert and --tls-key go together"},
		{"redirect without TLS", []string{"--http-redirect", ":80"}, "--http-redirect redirects to HTTPS: it needs --tls-cert and --tls-key"},
		{"the clients' CA", []string{"--ca-cert", "ca.pem"}, `--ca-cert is for the commands that call a server: "lambda server" runs the platform itself`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Bounded: without the check, the server would start and serve.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			args := append([]string{"server", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data")}, tc.args...)
			var out, errOut bytes.Buffer
			code := run(ctx, args, &streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if code != 1 || !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("lambda %s: exit %d\n%s%s\nwant %q", strings.Join(args, " "), code, out.String(), errOut.String(), tc.want)
			}
		})
	}
	stdout, _, _ := runCLI(t, "", "", "server", "--help")
	for _, flag := range []string{"--tls-cert", "--tls-key", "--http-redirect"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("server --help lacks %s", flag)
		}
	}
	if strings.Contains(stdout, "--ca-cert") {
		t.Errorf("server --help lists the clients' --ca-cert:\n%s", stdout)
	}
	if stdout, _, _ := runCLI(t, "", "", "list", "--help"); !strings.Contains(stdout, "--ca-cert") {
		t.Errorf("list --help lacks --ca-cert:\n%s", stdout)
	}
}
