package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestResolveConnection: each setting from its flag, else its environment
// variable, else the context, else its default; a context's key and CA
// only ever go to its own server.
func TestResolveConnection(t *testing.T) {
	configDir := isolateCredentials(t)
	dataDir := t.TempDir()
	t.Setenv("LAMBDA_DATA", dataDir)
	t.Setenv("LAMBDA_SERVER", "")
	t.Setenv("LAMBDA_CA_CERT", "")
	t.Setenv("LAMBDA_CONTEXT", "")
	os.WriteFile(filepath.Join(dataDir, adminKeyFile), []byte("lmb_local\n"), 0o600)
	if err := saveKey(filepath.Join(configDir, "lambda", credentialsFile), "https://vm.example.com", savedKey{APIKey: "lmb_saved"}); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "prod.key")
	os.WriteFile(keyFile, []byte("lmb_prodfile\n"), 0o600)
	cfg := &contextsConfig{Current: "prod", Contexts: map[string]*contextEntry{
		"prod":    {Server: "https://prod.example.com", APIKeyFile: keyFile, CACert: "/ca/prod.pem"},
		"staging": {Server: "https://staging.example.com", APIKey: "lmb_staging"},
		"vm":      {Server: "https://vm.example.com"},
	}}
	path, _ := contextsPath()
	if err := cfg.save(path); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		flags connectionFlags
		env   map[string]string
		want  connection
	}{
		{"the current context", connectionFlags{}, nil,
			connection{Context: "prod", Server: "https://prod.example.com", APIKey: "lmb_prodfile", CACert: "/ca/prod.pem", ContextServer: true}},
		{"--context over LAMBDA_CONTEXT over the current one", connectionFlags{context: "staging", ctxSet: true}, map[string]string{"LAMBDA_CONTEXT": "vm"},
			connection{Context: "staging", Server: "https://staging.example.com", APIKey: "lmb_staging", ContextServer: true}},
		{"LAMBDA_CONTEXT over the current one", connectionFlags{}, map[string]string{"LAMBDA_CONTEXT": "staging"},
			connection{Context: "staging", Server: "https://staging.example.com", APIKey: "lmb_staging", ContextServer: true}},
		{"context default: none", connectionFlags{context: "default", ctxSet: true}, nil,
			connection{Server: "http://localhost:8080", APIKey: "lmb_local"}},
		{"--server over the context: not its key nor CA", connectionFlags{server: "https://other.example.com", serverSet: true}, nil,
			connection{Context: "prod", Server: "https://other.example.com"}},
		{"LAMBDA_SERVER over the context", connectionFlags{}, map[string]string{"LAMBDA_SERVER": "https://vm.example.com"},
			connection{Context: "prod", Server: "https://vm.example.com", APIKey: "lmb_saved"}},
		{"--server naming the context's server keeps its key and CA", connectionFlags{server: "https://prod.example.com/", serverSet: true}, map[string]string{"LAMBDA_SERVER": "https://x.example.com"},
			connection{Context: "prod", Server: "https://prod.example.com/", APIKey: "lmb_prodfile", CACert: "/ca/prod.pem", ContextServer: true}},
		{"http:// is another server than the context's https://", connectionFlags{server: "prod.example.com", serverSet: true}, nil,
			connection{Context: "prod", Server: "prod.example.com"}},
		{"--api-key over LAMBDA_API_KEY over the context", connectionFlags{apiKey: "lmb_flag", apiKeySet: true}, map[string]string{"LAMBDA_API_KEY": "lmb_env"},
			connection{Context: "prod", Server: "https://prod.example.com", APIKey: "lmb_flag", CACert: "/ca/prod.pem", ContextServer: true}},
		{"LAMBDA_API_KEY over the context", connectionFlags{}, map[string]string{"LAMBDA_API_KEY": "lmb_env"},
			connection{Context: "prod", Server: "https://prod.example.com", APIKey: "lmb_env", CACert: "/ca/prod.pem", ContextServer: true}},
		{"--ca-cert over LAMBDA_CA_CERT over the context", connectionFlags{caCert: "/flag.pem", caCertSet: true}, map[string]string{"LAMBDA_CA_CERT": "/env.pem"},
			connection{Context: "prod", Server: "https://prod.example.com", APIKey: "lmb_prodfile", CACert: "/flag.pem", ContextServer: true}},
		{"LAMBDA_CA_CERT over the context", connectionFlags{}, map[string]string{"LAMBDA_CA_CERT": "/env.pem"},
			connection{Context: "prod", Server: "https://prod.example.com", APIKey: "lmb_prodfile", CACert: "/env.pem", ContextServer: true}},
		{"a context without key: the key saved for its URL", connectionFlags{context: "vm", ctxSet: true}, nil,
			connection{Context: "vm", Server: "https://vm.example.com", APIKey: "lmb_saved", ContextServer: true}},
		{"no local key to another host", connectionFlags{context: "default", ctxSet: true, server: "https://x.example.com", serverSet: true}, nil,
			connection{Server: "https://x.example.com"}},
		{"the local key to a loopback address", connectionFlags{context: "default", ctxSet: true, server: "127.0.0.1:8080", serverSet: true}, nil,
			connection{Server: "127.0.0.1:8080", APIKey: "lmb_local"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"LAMBDA_CONTEXT", "LAMBDA_SERVER", "LAMBDA_API_KEY", "LAMBDA_CA_CERT"} {
				t.Setenv(k, tt.env[k])
			}
			got, err := resolveConnection(tt.flags)
			if err != nil || got != tt.want {
				t.Fatalf("resolveConnection(%+v) =\n %+v, %v\nwant\n %+v", tt.flags, got, err, tt.want)
			}
		})
	}

	t.Run("unknown context", func(t *testing.T) {
		t.Setenv("LAMBDA_CONTEXT", "nope")
		_, err := resolveConnection(connectionFlags{})
		if lambda.ErrorCode(err) != lambda.ENOTFOUND || !strings.Contains(err.Error(), `context "nope" (from LAMBDA_CONTEXT) does not exist: the contexts are default, prod, staging, vm`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unreadable key file", func(t *testing.T) {
		os.Remove(keyFile)
		_, err := resolveConnection(connectionFlags{})
		if err == nil || !strings.Contains(err.Error(), `read the API key of context "prod"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a contexts file others may read", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := resolveConnection(connectionFlags{})
		if err == nil || !strings.Contains(err.Error(), "fix it with: chmod 600 "+path) {
			t.Fatalf("err = %v", err)
		}
	})
}
