package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	lambdahttp "github.com/lambdahq/lambda/http"
)

// credentialsFile, in the user's config directory, holds the keys `lambda
// login` saved, one per server URL (mode 0600).
const credentialsFile = "credentials.json"

// savedKey is one server's entry in credentials.json.
type savedKey struct {
	APIKey  string    `json:"api_key"`
	KeyID   string    `json:"key_id,omitempty"`
	SavedAt time.Time `json:"saved_at"`
}

type credentials struct {
	Servers map[string]savedKey `json:"servers"`
}

// credentialsPath is the file of saved keys: os.UserConfigDir()/lambda.
func credentialsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory to keep the key in: %w; set XDG_CONFIG_HOME or HOME", err)
	}
	return filepath.Join(dir, "lambda", credentialsFile), nil
}

// serverKey names a server in credentials.json: its URL as the client
// uses it, so that "localhost:8080/" and "http://localhost:8080" match.
func serverKey(server string) string {
	return lambdahttp.NewClient(server).BaseURL
}

func loadCredentials(path string) (*credentials, error) {
	c := &credentials{Servers: map[string]savedKey{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the saved keys: %w", err)
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("the saved keys in %s are not valid JSON: fix or remove the file, then run `lambda login` again", path)
	}
	if c.Servers == nil {
		c.Servers = map[string]savedKey{}
	}
	return c, nil
}

// saveKey stores key for server in the credentials file, which is created
// with mode 0600 in a 0700 directory.
func saveKey(path, server string, key savedKey) error {
	c, err := loadCredentials(path)
	if err != nil {
		return err
	}
	c.Servers[serverKey(server)] = key
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := writeSecretFile(path, string(b)); err != nil {
		return fmt.Errorf("save the key in %s: %w", path, err)
	}
	return nil
}

// resolveAPIKey finds the key for server, in order: the --api-key flag,
// LAMBDA_API_KEY, the key `lambda login` saved for that server, and, for a
// server on this host, the admin.key of the server's default data
// directory. "" when there is none: the server's 401 says what to do.
func resolveAPIKey(flag, server string) string {
	if k := strings.TrimSpace(flag); k != "" {
		return k
	}
	if k := strings.TrimSpace(os.Getenv("LAMBDA_API_KEY")); k != "" {
		return k
	}
	if path, err := credentialsPath(); err == nil {
		if c, err := loadCredentials(path); err == nil {
			if k, ok := c.Servers[serverKey(server)]; ok && k.APIKey != "" {
				return k.APIKey
			}
		}
	}
	// Only to this host: a local admin key never travels to another server.
	if isLocalServer(server) {
		b, err := os.ReadFile(filepath.Join(envOr("LAMBDA_DATA", defaultDataDir()), adminKeyFile))
		if err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// isLocalServer reports whether server's URL names this host by a
// loopback name or address.
func isLocalServer(server string) bool {
	u, err := url.Parse(serverKey(server))
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
