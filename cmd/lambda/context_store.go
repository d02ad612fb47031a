package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/lambdahq/lambda"
)

// contextsFile, in the user's config directory, holds the contexts (mode
// 0600: a context may hold the key `lambda login` saved in it).
const contextsFile = "contexts.json"

// defaultContext is the context of no stored settings: flags, environment
// and defaults only (`lambda context use default` leaves any context).
const defaultContext = "default"

// contextEntry is one context: a server and what to reach it with.
type contextEntry struct {
	Server string `json:"server"`
	// APIKeyFile names a file holding the key (read at each command, so a
	// rotated key needs no change here); APIKey is a key `lambda login`
	// saved into the context. Login replaces the file with the key.
	APIKeyFile string `json:"api_key_file,omitempty"`
	APIKey     string `json:"api_key,omitempty"`
	KeyID      string `json:"key_id,omitempty"`
	CACert     string `json:"ca_cert,omitempty"`
}

type contextsConfig struct {
	Current  string                   `json:"current,omitempty"`
	Contexts map[string]*contextEntry `json:"contexts"`
}

func contextsPath() (string, error) { return configPath(contextsFile) }

// loadContexts reads the contexts file; none is no contexts. A file others
// may read is refused (readPrivateFile says how to fix it).
func loadContexts(path string) (*contextsConfig, error) {
	c := &contextsConfig{Contexts: map[string]*contextEntry{}}
	b, err := readPrivateFile(path, "contexts file")
	if err != nil || b == nil {
		return c, err
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("the contexts in %s are not valid JSON (%v): fix or remove the file, then add them again with `lambda context add`", path, err)
	}
	if c.Contexts == nil {
		c.Contexts = map[string]*contextEntry{}
	}
	// A file edited by hand may hold "name": null: an empty entry, which
	// check refuses when it is used, lists, completes and removes.
	for n, e := range c.Contexts {
		if e == nil {
			c.Contexts[n] = &contextEntry{}
		}
	}
	return c, nil
}

// brokenContextError is the refusal of a context whose stored server is
// no server URL (a file edited by hand): `lambda context list` still
// lists the contexts then, marking it.
type brokenContextError struct {
	name string
	err  error
}

func (e *brokenContextError) Error() string { return e.err.Error() }
func (e *brokenContextError) Unwrap() error { return e.err }

// check refuses a context that cannot be used: its server is no URL.
func (e *contextEntry) check(name, path string) error {
	if u, err := url.Parse(e.Server); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return &brokenContextError{name: name, err: lambda.Errorf(lambda.EINVALID,
			"context %q in %s has no server URL (%q): remove it with `lambda context rm %s` and add it again with `lambda context add %s --server URL`",
			name, path, e.Server, name, name)}
	}
	return nil
}

func (c *contextsConfig) save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := writePrivateFile(path, b); err != nil {
		return fmt.Errorf("save the contexts in %s: %w", path, err)
	}
	return nil
}

// names returns the contexts' names, sorted.
func (c *contextsConfig) names() []string {
	out := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// key returns the context's API key: the one login saved, else its file's.
func (e *contextEntry) key(name string) (string, error) {
	if e.APIKey != "" {
		return e.APIKey, nil
	}
	b, err := os.ReadFile(e.APIKeyFile)
	if err != nil {
		return "", fmt.Errorf("read the API key of context %q: %w; fix the file, or replace the key with `lambda login --context %s`", name, err, name)
	}
	k := strings.TrimSpace(string(b))
	if k == "" {
		return "", fmt.Errorf("the API key file %s of context %q is empty", e.APIKeyFile, name)
	}
	return k, nil
}

func unknownContext(name, from string, c *contextsConfig) error {
	known := "there are none yet: add one with `lambda context add NAME --server URL`"
	if names := c.names(); len(names) > 0 {
		known = "the contexts are " + strings.Join(append([]string{defaultContext}, names...), ", ") + " (lambda context list)"
	}
	return lambda.Errorf(lambda.ENOTFOUND, "context %q (from %s) does not exist: %s", name, from, known)
}

var contextName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func validateContextName(name string) error {
	if name == defaultContext {
		return usageErrorf("%q is the context of no stored settings (flags, environment and defaults): choose another name", name)
	}
	if !contextName.MatchString(name) {
		return usageErrorf("context name %q is invalid: use 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit", name)
	}
	return nil
}
