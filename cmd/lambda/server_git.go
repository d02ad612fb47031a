package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
	"github.com/lambdahq/lambda/git"
)

// gitOptions bound deploys from git (as text until checked).
type gitOptions struct {
	maxBytes, maxFiles, timeout string
}

// gitLimits are gitOptions checked.
type gitLimits struct {
	maxBytes int64
	maxFiles int
	timeout  time.Duration
}

func (o *gitOptions) register(f *pflag.FlagSet) {
	o.maxBytes = envOr("LAMBDA_GIT_MAX_BYTES", "200MB")
	o.maxFiles = envOr("LAMBDA_GIT_MAX_FILES", strconv.Itoa(git.DefaultMaxFiles))
	o.timeout = envOr("LAMBDA_GIT_TIMEOUT", git.DefaultTimeout.String())
	f.StringVar(&o.maxBytes, "git-max-bytes", o.maxBytes, "most a deploy from git may fetch, and most its tree may hold, e.g. 200MB (env LAMBDA_GIT_MAX_BYTES)")
	f.StringVar(&o.maxFiles, "git-max-files", o.maxFiles, "most files and directories the tree of a deploy from git may hold, at most 20000 (env LAMBDA_GIT_MAX_FILES)")
	f.StringVar(&o.timeout, "git-timeout", o.timeout, "how long a clone may take, e.g. 2m (env LAMBDA_GIT_TIMEOUT)")
}

func (o gitOptions) parse() (gitLimits, error) {
	var l gitLimits
	n, err := parseBytes(o.maxBytes)
	if err != nil || n < 1<<10 {
		return l, fmt.Errorf("--git-max-bytes %q is invalid: use a size of at least 1KB such as 200MB", o.maxBytes)
	}
	files, err := strconv.Atoi(o.maxFiles)
	if err != nil || files < 1 {
		return l, fmt.Errorf("--git-max-files %q is invalid: use a positive number", o.maxFiles)
	}
	// The cloned tree is extracted as an upload is, within its limits.
	if n > archive.DefaultExtractMaxBytes {
		return l, fmt.Errorf("--git-max-bytes %q is over the %dMB a deploy's tree may hold once extracted: use at most that", o.maxBytes, archive.DefaultExtractMaxBytes>>20)
	}
	if files > archive.DefaultExtractMaxEntries {
		return l, fmt.Errorf("--git-max-files %q is over the %d files and directories a deploy's tree may hold once extracted: use at most that", o.maxFiles, archive.DefaultExtractMaxEntries)
	}
	d, err := time.ParseDuration(o.timeout)
	if err != nil || d < 100*time.Millisecond {
		return l, fmt.Errorf("--git-timeout %q is invalid: use a duration such as 2m", o.timeout)
	}
	return gitLimits{maxBytes: n, maxFiles: files, timeout: d}, nil
}

// newCloner returns the cloner of deploys from git, within l (zero
// fields: the defaults), cloning under tmp.
func newCloner(l gitLimits, tmp string, o platformOptions) *git.Cloner {
	c := git.New()
	if l.maxBytes > 0 {
		c.MaxBytes = l.maxBytes
	}
	if l.maxFiles > 0 {
		c.MaxFiles = l.maxFiles
	}
	if l.timeout > 0 {
		c.Timeout = l.timeout
	}
	c.TempDir, c.Logger = tmp, o.logger
	return c
}

// hookKeyFile holds the key that seals the webhooks' secrets: apart from
// the database, readable by the server's user alone.
const hookKeyFile = "hooks.key"

// openHooks loads (or creates) the key that seals webhook secrets and
// opens the hook manager.
func openHooks(ctx context.Context, m *lambda.HookManager, dataDir string) error {
	key, err := loadHookKey(dataDir)
	if err != nil {
		return err
	}
	if m.Box, err = lambda.NewSecretBox(key); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dataDir, hookKeyFile), err)
	}
	return m.Open(ctx)
}

func loadHookKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, hookKeyFile)
	key, err := os.ReadFile(path)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the webhook key: %w", err)
	}
	key = make([]byte, lambda.HookKeySize)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the webhook key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("write the webhook key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write the webhook key: %w", err)
	}
	return key, nil
}
