package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/sqlite"
)

// keysServer is a real server (middleware included) on a SQLite store in
// its own data directory, whose first admin key was bootstrapped.
type keysServer struct {
	url, dataDir string
	keys         *sqlite.KeyStore
	secrets      lambda.KeySecrets
	log          *bytes.Buffer
}

// isolateCredentials points every place the CLI finds keys at empty
// temporary directories, so that no key of the machine's user is used.
func isolateCredentials(t *testing.T) (configDir string) {
	t.Helper()
	configDir = t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", configDir)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("LAMBDA_DATA", t.TempDir())
	t.Setenv("LAMBDA_API_KEY", "")
	return configDir
}

func newKeysServer(t *testing.T) *keysServer {
	t.Helper()
	ctx := context.Background()
	ks := &keysServer{dataDir: t.TempDir(), log: &bytes.Buffer{}}
	db := sqlite.NewDB(filepath.Join(ks.dataDir, "lambda.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	master, err := loadMasterKey(ks.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	ks.keys, ks.secrets = sqlite.NewKeyStore(db), lambda.KeySecrets{Master: master}
	logger := slog.New(slog.NewTextHandler(ks.log, nil))
	if err := bootstrapAdminKey(ctx, ks.keys, ks.secrets, ks.dataDir, logger); err != nil {
		t.Fatal(err)
	}
	srv := lambdahttp.NewServer()
	srv.Logger = logger
	srv.Keys, srv.Audit, srv.Secrets = ks.keys, sqlite.NewAuditStore(db), ks.secrets
	h := httptest.NewServer(srv.Handler())
	t.Cleanup(h.Close)
	ks.url = h.URL
	return ks
}

func (ks *keysServer) adminSecret(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ks.dataDir, adminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestBootstrapAdminKey(t *testing.T) {
	ks := newKeysServer(t)
	path := filepath.Join(ks.dataDir, adminKeyFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSuffix(string(b), "\n")
	if !strings.HasPrefix(secret, lambda.KeySecretPrefix) || strings.Contains(secret, "\n") {
		t.Fatalf("admin.key = %q, want the secret alone on one line", b)
	}
	for _, name := range []string{adminKeyFile, masterKeyFile} {
		if fi, err := os.Stat(filepath.Join(ks.dataDir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, %v; want 0600", name, fi.Mode().Perm(), err)
		}
	}
	k, err := ks.keys.FindKeyByHash(context.Background(), ks.secrets.Hash(secret))
	if err != nil || k.Scope != lambda.ScopeAdmin {
		t.Fatalf("the admin.key secret finds %+v, %v; want an admin key", k, err)
	}
	if log := ks.log.String(); !strings.Contains(log, path) || !strings.Contains(log, k.ID) || strings.Contains(log, secret) {
		t.Fatalf("log = %q, want the file's path and the key ID, never the secret", log)
	}
	// A restart finds keys: no second admin key, the file is left alone.
	os.Remove(path)
	if err := bootstrapAdminKey(context.Background(), ks.keys, ks.secrets, ks.dataDir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if n, _ := ks.keys.CountKeys(context.Background()); n != 1 {
		t.Fatalf("%d keys after a restart, want 1", n)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("admin.key written again on restart: %v", err)
	}
	// The master key survives a restart; a damaged one is an error.
	again, err := loadMasterKey(ks.dataDir)
	if err != nil || !bytes.Equal(again, ks.secrets.Master) {
		t.Fatalf("loadMasterKey again = %x, %v; want the same key", again, err)
	}
	os.WriteFile(filepath.Join(ks.dataDir, masterKeyFile), []byte("short\n"), 0o600)
	if _, err := loadMasterKey(ks.dataDir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("loadMasterKey of a damaged file: %v", err)
	}
}

func TestKeysCommands(t *testing.T) {
	isolateCredentials(t)
	ks := newKeysServer(t)
	// No key typed: the CLI uses the local server's admin.key.
	t.Setenv("LAMBDA_DATA", ks.dataDir)

	stdout, stderr, code := runCLI(t, ks.url, "", "keys", "create", "ci", "--scope", "deploy", "--function", "web", "--expires", "30d")
	if code != 0 || !strings.HasPrefix(stdout, lambda.KeySecretPrefix) || strings.Count(stdout, "\n") != 1 ||
		!strings.Contains(stderr, `"ci": scope deploy on functions web, expires `) {
		t.Fatalf("keys create: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	ciSecret := strings.TrimSpace(stdout)

	stdout, _, code = runCLI(t, ks.url, "", "keys", "create", "reader", "--scope", "read", "-o", "json")
	var created struct{ ID, Secret string }
	if code != 0 || json.Unmarshal([]byte(stdout), &created) != nil || !strings.HasPrefix(created.ID, "LK") || !strings.HasPrefix(created.Secret, "lmb_") {
		t.Fatalf("keys create -o json: exit %d, %q", code, stdout)
	}

	stdout, _, code = runCLI(t, ks.url, "", "keys", "revoke", created.ID)
	if code != 0 || stdout != "Revoked API key "+created.ID+" \"reader\"\n" {
		t.Fatalf("keys revoke: exit %d, %q", code, stdout)
	}

	stdout, _, code = runCLI(t, ks.url, "", "keys", "list")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") ||
		!strings.Contains(lines[1], "admin") || !strings.Contains(lines[2], "deploy   web") || !strings.Contains(lines[3], "revoked") {
		t.Fatalf("keys list: exit %d\n%s", code, stdout)
	}
	stdout, _, _ = runCLI(t, ks.url, "", "keys", "list", "-o", "json")
	if strings.Contains(stdout, lambda.KeySecretPrefix) || !strings.Contains(stdout, created.ID) {
		t.Fatalf("keys list -o json = %s", stdout)
	}

	// A deploy key may not list keys: 403 with what to do.
	_, stderr, code = runCLI(t, ks.url, "", "--api-key", ciSecret, "keys", "list")
	if code != 1 || !strings.Contains(stderr, "has scope deploy") {
		t.Fatalf("keys list with a deploy key: exit %d, %q", code, stderr)
	}
	// The revoked key is refused at once.
	_, stderr, code = runCLI(t, ks.url, "", "--api-key", created.Secret, "keys", "list")
	if code != 1 || !strings.Contains(stderr, "revoked") {
		t.Fatalf("keys list with a revoked key: exit %d, %q", code, stderr)
	}

	stdout, _, code = runCLI(t, ks.url, "", "audit")
	if code != 0 || strings.Count(stdout, "keys.create") != 2 || strings.Count(stdout, "keys.revoke") != 1 || !strings.Contains(stdout, "127.0.0.1") {
		t.Fatalf("audit: exit %d\n%s", code, stdout)
	}
	// Each key write names its key by ID and name, never by its secret.
	rows := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.Contains(rows[0], " TARGET ") || strings.Contains(stdout, lambda.KeySecretPrefix) {
		t.Fatalf("audit: no TARGET column, or a secret:\n%s", stdout)
	}
	for i, want := range []string{`"ci"`, created.ID + ` "reader"`, created.ID + ` "reader"`} {
		if !strings.Contains(rows[i+1], want) {
			t.Errorf("audit row %d does not name %s:\n%s", i+1, want, stdout)
		}
	}
	stdout, _, code = runCLI(t, ks.url, "", "audit", "--since", "1h", "-o", "json")
	var entries []lambda.AuditEntry
	if code != 0 || json.Unmarshal([]byte(stdout), &entries) != nil || len(entries) != 3 {
		t.Fatalf("audit --since 1h -o json: exit %d, %s", code, stdout)
	}
	if e := entries[2]; e.Action != "keys.revoke" || e.Target != created.ID || e.TargetName != "reader" {
		t.Errorf("audit -o json: last entry %+v, want keys.revoke of %s \"reader\"", e, created.ID)
	}
	stdout, stderr, code = runCLI(t, ks.url, "", "audit", "--since", "2999-01-01T00:00:00Z")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "No control-plane writes") {
		t.Fatalf("audit in the future: exit %d, %q %q", code, stdout, stderr)
	}
}

func TestKeysCommandsUsage(t *testing.T) {
	isolateCredentials(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no scope", []string{"keys", "create", "x"}, "Error: --scope: key scope is empty"},
		{"bad scope", []string{"keys", "create", "x", "--scope", "root"}, `key scope "root" is unknown`},
		{"bad expiry", []string{"keys", "create", "x", "--scope", "read", "--expires", "1y"}, `--expires: expiry "1y" is invalid`},
		{"bad function", []string{"keys", "create", "x", "--scope", "read", "--function", "A"}, "--function: function name"},
		{"secret as ID", []string{"keys", "revoke", "lmb_abc"}, "that is a key's secret, not its ID"},
		{"bad since", []string{"audit", "--since", "yesterday"}, `--since "yesterday" is invalid`},
		{"login without key", []string{"login"}, "no API key on stdin"},
		{"login with an ID", []string{"login", "--api-key", "LKABC"}, "that is not an API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No server: usage errors are found before any request.
			_, stderr, code := runCLI(t, "http://127.0.0.1:1", "", tt.args...)
			if code != 1 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "Usage:") {
				t.Fatalf("exit %d, stderr %q; want a usage error containing %q", code, stderr, tt.want)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	configDir := isolateCredentials(t)
	ks := newKeysServer(t)
	admin := ks.adminSecret(t)
	// Nothing typed and no admin.key here: refused, with what to do.
	_, stderr, code := runCLI(t, ks.url, "", "keys", "list")
	if code != 1 || !strings.Contains(stderr, "lambda login") {
		t.Fatalf("keys list without a key: exit %d, %q", code, stderr)
	}
	_, stderr, code = runCLI(t, ks.url, "lmb_wrong\n", "login")
	if code != 1 || !strings.Contains(stderr, "refused the key") {
		t.Fatalf("login with a wrong key: exit %d, %q", code, stderr)
	}
	path := filepath.Join(configDir, "lambda", credentialsFile)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused login saved something: %v", err)
	}

	stdout, stderr, code := runCLI(t, ks.url, admin+"\n", "login")
	if code != 0 || !strings.Contains(stdout, "Logged in to "+ks.url+" with API key LK") || !strings.Contains(stdout, path) || strings.Contains(stdout+stderr, admin) {
		t.Fatalf("login: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v; want mode 0600", fi, err)
	}
	// The saved key serves later commands to that server...
	if _, stderr, code := runCLI(t, ks.url+"/", "", "keys", "list"); code != 0 {
		t.Fatalf("keys list after login: exit %d, %q", code, stderr)
	}
	// ...LAMBDA_API_KEY comes before it...
	t.Setenv("LAMBDA_API_KEY", "lmb_wrong")
	if _, stderr, code := runCLI(t, ks.url, "", "keys", "list"); code != 1 || !strings.Contains(stderr, "not valid") {
		t.Fatalf("keys list with a wrong LAMBDA_API_KEY: exit %d, %q", code, stderr)
	}
	t.Setenv("LAMBDA_API_KEY", "")
	// ...and an invoke key, which may not read, logs in too (whoami answers
	// 403, which proves the key valid).
	k, secret, hash, err := ks.secrets.NewKey("bot", lambda.ScopeInvoke, nil, 0, time.Now())
	if err != nil || ks.keys.CreateKey(context.Background(), k, hash) != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := runCLI(t, ks.url, "", "login", "--api-key", secret); code != 0 || !strings.Contains(stdout, "Logged in") {
		t.Fatalf("login with an invoke key: exit %d, %q %q", code, stdout, stderr)
	}
	c, err := loadCredentials(path)
	if err != nil || c.Servers[ks.url].APIKey != secret {
		t.Fatalf("saved credentials = %+v, %v; want the invoke key for %s", c, err, ks.url)
	}
}

// TestServerTakesNoAPIKey: the commands that run the platform neither list
// nor accept the clients' --api-key.
func TestServerTakesNoAPIKey(t *testing.T) {
	isolateCredentials(t)
	// Bounded: without the check, the server would start and serve.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errOut bytes.Buffer
	code := run(ctx, []string{"server", "--addr", "127.0.0.1:0", "--api-key", "lmb_x"}, &streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errOut})
	if stderr := errOut.String(); code != 1 || !strings.Contains(stderr, `--api-key is for the commands that call a server: "lambda server" runs the platform itself`) {
		t.Fatalf("server --api-key: exit %d, %q", code, stderr)
	}
	stdout, _, _ := runCLI(t, "", "", "server", "--help")
	if strings.Contains(stdout, "--api-key") {
		t.Fatalf("server --help lists --api-key:\n%s", stdout)
	}
	if stdout, _, _ := runCLI(t, "", "", "list", "--help"); !strings.Contains(stdout, "--api-key") {
		t.Fatalf("list --help lacks --api-key:\n%s", stdout)
	}
}

func TestKeyStatus(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	tests := []struct {
		key  lambda.Key
		want string
	}{
		{lambda.Key{}, "active"},
		{lambda.Key{ExpiresAt: &future}, "active"},
		{lambda.Key{ExpiresAt: &past}, "expired"},
		{lambda.Key{ExpiresAt: &now}, "expired"},
		{lambda.Key{RevokedAt: &past, ExpiresAt: &past}, "revoked"},
	}
	for _, tt := range tests {
		if got := keyStatus(&tt.key, now); got != tt.want {
			t.Errorf("keyStatus(%+v) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
