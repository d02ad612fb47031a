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
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	lambdahttp "github.com/lambdahq/lambda/http"
)

// credentialsFile, in the user's config directory, holds the keys `lambda
// login` saved for servers outside any context, one per server URL (mode
// 0600). Keys for a context are kept with the context (contexts.json).
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

// configPath is file in the CLI's directory of the user's config
// directory: os.UserConfigDir()/lambda.
func configPath(file string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory to keep %s in: %w; set XDG_CONFIG_HOME or HOME", file, err)
	}
	return filepath.Join(dir, "lambda", file), nil
}

// credentialsPath is the file of saved keys.
func credentialsPath() (string, error) { return configPath(credentialsFile) }

// serverKey names a server in credentials.json: its URL as the client
// uses it, so that "localhost:8080/" and "http://localhost:8080" match.
func serverKey(server string) string {
	return lambdahttp.NewClient(server).BaseURL
}

// readPrivateFile reads a file of the CLI's that may hold secrets, and
// refuses it when others may read or write it: it says how to fix it.
// A missing file is (nil, nil).
func readPrivateFile(path, what string) ([]byte, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the %s: %w", what, err)
	}
	// Windows has no such modes; its ACLs keep the profile private.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the %s in %s may be read or changed by other users (mode %04o) and can hold API keys: "+
			"it is not used until only you can; fix it with: chmod 600 %s", what, path, fi.Mode().Perm(), shellQuote(path))
	}
	// A directory others may write lets them replace the file with one
	// that sends the user's key to their server.
	dir := filepath.Dir(path)
	if di, err := os.Stat(dir); err == nil && runtime.GOOS != "windows" && di.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("the directory %s of the %s may be written by other users (mode %04o), who could replace it: "+
			"it is not used until only you can; fix it with: chmod 700 %s", dir, what, di.Mode().Perm(), shellQuote(dir))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the %s: %w", what, err)
	}
	return b, nil
}

// writePrivateFile writes b to path with mode 0600, in a 0700 directory,
// replacing the file at once (a reader sees the old or the new).
func writePrivateFile(path string, b []byte) error {
	// A link (the file kept in a dotfiles repository) stays a link: the
	// file it points to is replaced.
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	return writeSecretFile(path, strings.TrimRight(string(b), "\n"))
}

func loadCredentials(path string) (*credentials, error) {
	c := &credentials{Servers: map[string]savedKey{}}
	b, err := readPrivateFile(path, "saved keys")
	if err != nil || b == nil {
		return c, err
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
	if err := writePrivateFile(path, b); err != nil {
		return fmt.Errorf("save the key in %s: %w", path, err)
	}
	return nil
}

// connection is where a client command sends its requests, with which key
// and CA, as resolveConnection decided.
type connection struct {
	// Context is the context in use ("" for none); its server, key and CA
	// apply unless a flag or the environment says otherwise.
	Context string
	Server  string
	APIKey  string
	CACert  string
	// ContextServer: Server is the context's, so login saves into it.
	ContextServer bool
}

// connectionFlags are the root flags resolveConnection reads: their
// values, and whether the user gave them.
type connectionFlags struct {
	server, apiKey, caCert, context         string
	serverSet, apiKeySet, caCertSet, ctxSet bool
}

// resolveConnection is the one place that decides where a command goes.
// Every setting is taken, in order, from its flag, its environment
// variable, the context, and its default:
//
//	context  --context     LAMBDA_CONTEXT  the current one (lambda context use)  none
//	server   --server      LAMBDA_SERVER   the context's server                  http://localhost:8080
//	key      --api-key     LAMBDA_API_KEY  the context's key (its file, or the key `lambda login` saved in it)
//	CA       --ca-cert     LAMBDA_CA_CERT  the context's CA certificate          the system's roots
//
// A context named by --context outranks the environment: its server, key
// and CA are used whatever LAMBDA_SERVER, LAMBDA_API_KEY and
// LAMBDA_CA_CERT say (the flags still outrank it). A context's key and CA
// go only to the context's server: a --server or LAMBDA_SERVER naming
// another one leaves them out. Without a key from
// those, the key `lambda login` saved for the server's URL outside any
// context is used, then, for a server on this host only, the admin.key of
// the server's default data directory. No key at all: the server's 401
// says what to do.
func resolveConnection(f connectionFlags) (connection, error) {
	var c connection
	name, from := strings.TrimSpace(f.context), "--context"
	if !f.ctxSet {
		name, from = strings.TrimSpace(os.Getenv("LAMBDA_CONTEXT")), "LAMBDA_CONTEXT"
	}
	path, err := contextsPath()
	if err != nil && name != "" && name != defaultContext {
		return c, err
	}
	var entry *contextEntry
	if err == nil {
		cfg, err := loadContexts(path)
		if err != nil {
			return c, err
		}
		if name == "" {
			name, from = cfg.Current, "the current context"
		}
		if name != "" && name != defaultContext {
			if entry = cfg.Contexts[name]; entry == nil {
				return c, unknownContext(name, from, cfg)
			}
			c.Context = name
			if err := entry.check(name, path); err != nil {
				return c, err
			}
		}
	}

	// A context named by --context is this command's choice: it outranks
	// the environment (as docker --context outranks DOCKER_HOST), so an
	// exported LAMBDA_SERVER never takes a command meant for it elsewhere.
	chosen := f.ctxSet && entry != nil
	switch env := strings.TrimSpace(os.Getenv("LAMBDA_SERVER")); {
	case f.serverSet:
		c.Server = f.server
	case chosen:
		c.Server = entry.Server
	case env != "":
		c.Server = env
	case entry != nil:
		c.Server = entry.Server
	default:
		c.Server = lambdahttp.DefaultServerURL
	}
	c.ContextServer = entry != nil && serverKey(c.Server) == serverKey(entry.Server)

	switch env := strings.TrimSpace(os.Getenv("LAMBDA_CA_CERT")); {
	case f.caCertSet:
		c.CACert = f.caCert
	case env != "" && !(chosen && c.ContextServer):
		c.CACert = env
	case c.ContextServer:
		c.CACert = entry.CACert
	}

	switch env := strings.TrimSpace(os.Getenv("LAMBDA_API_KEY")); {
	case f.apiKeySet && strings.TrimSpace(f.apiKey) != "":
		c.APIKey = strings.TrimSpace(f.apiKey)
	case env != "" && !(chosen && c.ContextServer):
		c.APIKey = env
	case c.ContextServer && (entry.APIKey != "" || entry.APIKeyFile != ""):
		if c.APIKey, err = entry.key(c.Context); err != nil {
			return c, err
		}
	default:
		c.APIKey = savedOrLocalKey(c.Server)
	}
	return c, nil
}

// savedOrLocalKey is the key `lambda login` saved for server outside any
// context, else, for a server on this host, its admin.key; "" if none.
func savedOrLocalKey(server string) string {
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

// offlineAnnotation marks a command that calls no server (or resolves its
// connection itself): the root does not resolve one before it runs, so a
// broken contexts file never stops it.
const offlineAnnotation = "lambda/offline"

func markOffline(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[offlineAnnotation] = "true"
	return cmd
}

func isOffline(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		// cobra's completion command: its scripts (completion bash ...)
		// call no server, whatever the contexts say.
		if c.Annotations[offlineAnnotation] != "" || c.Name() == "completion" && c.Parent() == cmd.Root() {
			return true
		}
	}
	switch cmd.Name() {
	case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
		return true
	}
	return false
}

// flags reads the connection flags of the root command.
func (o *rootOptions) flags() connectionFlags {
	f := connectionFlags{server: o.server, apiKey: o.apiKey, caCert: o.caCert, context: o.context}
	if o.persistent != nil {
		changed := func(name string) bool {
			fl := o.persistent.Lookup(name)
			return fl != nil && fl.Changed
		}
		f.serverSet, f.apiKeySet, f.caCertSet, f.ctxSet = changed("server"), changed("api-key"), changed("ca-cert"), changed("context")
	} else {
		f.serverSet, f.apiKeySet, f.caCertSet, f.ctxSet = o.server != "", o.apiKey != "", o.caCert != "", o.context != ""
	}
	return f
}

// connection resolves the command's connection once.
func (o *rootOptions) connection() (connection, error) {
	if !o.resolved {
		o.conn, o.connErr = resolveConnection(o.flags())
		o.resolved = true
	}
	return o.conn, o.connErr
}

// prepare runs before every command: a command that calls a server fails
// here, before doing anything, when its connection cannot be resolved.
func (o *rootOptions) prepare(cmd *cobra.Command) error {
	if isOffline(cmd) {
		return nil
	}
	_, err := o.connection()
	return err
}
