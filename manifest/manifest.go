// Package manifest reads lambda.yaml, the optional file in a function's
// directory that declares how to deploy it. Every mistake in the file is
// reported with the key and line it is on, so the user can fix it without
// guessing.
package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdahq/lambda"
)

// FileName is the manifest's name in a function directory.
const FileName = "lambda.yaml"

// maxFileSize bounds the manifest: it describes a deploy, it holds no code.
const maxFileSize = 1 << 20

// Manifest is a parsed lambda.yaml. Zero fields were not set in the file.
type Manifest struct {
	// Project, when set, makes the file a project: Functions lists its
	// functions, each with the shared settings merged under its own, and
	// the top-level fields hold the shared settings.
	Project     string
	Functions   []Function
	Name        string
	Runtime     string
	Handler     string
	Protocol    string
	Port        int
	Env         map[string]string
	MemoryBytes int64
	Timeout     time.Duration
	// Placement holds the Swarm backend's constraints on the nodes the
	// function's instances run on (lambda deploy --placement).
	Placement []string
	// Scaling holds the function's settings that change without a
	// redeploy (concurrency, instances, start_timeout, auth and the async
	// settings); a key the file sets is non-nil, even when it sets 0.
	Scaling   lambda.ScalingPatch
	Schedules []Schedule
}

// Schedule is one entry of the manifest's schedules list.
type Schedule struct {
	Cron     string
	Data     json.RawMessage // nil when the entry has no data
	Timezone string
	Overlap  string
	Line     int // where the entry starts in the file
}

// Config returns the version settings the manifest holds; unset fields
// stay zero so that the server's defaults apply. Scaling is separate.
func (m *Manifest) Config() lambda.Config {
	return lambda.Config{
		Runtime:     m.Runtime,
		Protocol:    m.Protocol,
		Handler:     m.Handler,
		Port:        m.Port,
		Env:         m.Env,
		MemoryBytes: m.MemoryBytes,
		Timeout:     lambda.Duration(m.Timeout),
		Placement:   m.Placement,
	}
}

// Load reads dir/lambda.yaml. A directory without one yields nil, nil.
func Load(dir string) (*Manifest, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, yerr := os.Stat(filepath.Join(dir, "lambda.yml")); yerr == nil {
			return nil, lambda.Errorf(lambda.EINVALID, "%s: the manifest must be called %s: rename it", filepath.Join(dir, "lambda.yml"), FileName)
		}
		return nil, nil
	}
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "read %s: %w", path, err)
	}
	return parse(path, data)
}

// Parse parses the contents of a lambda.yaml. Errors are EINVALID and name
// the file, the line and the key at fault.
func Parse(data []byte) (*Manifest, error) {
	return parse(FileName, data)
}

func parse(file string, data []byte) (*Manifest, error) {
	if len(data) > maxFileSize {
		return nil, lambda.Errorf(lambda.EINVALID, "%s: the file is over %d KB; a manifest only holds settings", file, maxFileSize>>10)
	}
	p := &parser{file: file}
	m, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// errAt formats an error about the key at line.
func (p *parser) errAt(line int, key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + ": " + msg
	}
	if line > 0 {
		return lambda.Errorf(lambda.EINVALID, "%s: line %d: %s", p.file, line, msg)
	}
	return lambda.Errorf(lambda.EINVALID, "%s: %s", p.file, msg)
}
