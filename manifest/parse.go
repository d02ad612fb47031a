package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lambdahq/lambda"
)

// Keys lists the top-level keys of lambda.yaml, in documentation order.
var Keys = []string{"name", "runtime", "handler", "protocol", "port", "env", "memory", "timeout",
	"concurrency", "min_instances", "max_instances", "start_timeout", "standby_timeout", "auth",
	"max_retries", "retry_delay", "max_event_age", "async_concurrency", "on_success", "on_failure", "placement", "schedules"}

// scheduleKeys are the keys of one schedules entry.
var scheduleKeys = []string{"cron", "data", "tz", "overlap"}

// parser turns the YAML node tree into a Manifest. Walking nodes rather
// than decoding into a struct is what gives every error its line.
type parser struct {
	file   string
	budget int // nodes data conversion may still visit (alias bombs)
}

func (p *parser) parse(data []byte) (*Manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return &Manifest{}, nil // an empty file sets nothing
	} else if err != nil {
		return nil, p.syntaxError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errAt(extra.Line, "", "the file holds more than one YAML document (---): keep one")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.syntaxError(err)
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &Manifest{}, nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errAt(root.Line, "", "the file must be a mapping of keys to values, like \"name: greet\", not %s", describe(root))
	}
	m := &Manifest{}
	var functions *yaml.Node
	lines, err := p.walkMapping(root, "", topKeys, func(key string, k, v *yaml.Node) error {
		if key == "functions" {
			functions = v
			return nil
		}
		return p.field(m, key, v)
	})
	if err != nil {
		return nil, err
	}
	if err := p.project(m, lines, functions); err != nil {
		return nil, err
	}
	if lo, hi := m.Scaling.MinInstances, m.Scaling.MaxInstances; lo != nil && hi != nil && *hi > 0 && *lo > *hi {
		return nil, p.errAt(lines["min_instances"], "min_instances", "%d is above max_instances %d", *lo, *hi)
	}
	for _, d := range m.Scaling.Apply(lambda.Scaling{}).Destinations() {
		if d.Function == m.Name {
			return nil, p.errAt(lines[d.Setting], d.Setting, "%q is this function: a function cannot be its own destination (it would loop); name another function", d.Function)
		}
	}
	return m, nil
}

// walkMapping calls fn for each key of n after checking that it is known
// and not repeated; it returns the line of each key.
func (p *parser) walkMapping(n *yaml.Node, prefix string, known []string, fn func(key string, k, v *yaml.Node) error) (map[string]int, error) {
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, p.errAt(k.Line, strings.TrimSuffix(prefix, "."), "keys must be plain words, not %s", describe(k))
		}
		if !slices.Contains(known, k.Value) {
			return nil, p.errAt(k.Line, "", "unknown key %q%s", prefix+k.Value, suggest(k.Value, known))
		}
		if first, dup := lines[k.Value]; dup {
			return nil, p.errAt(k.Line, "", "key %q is set twice (first on line %d): keep one", prefix+k.Value, first)
		}
		lines[k.Value] = k.Line
		if err := fn(k.Value, k, v); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

// field sets the top-level key from its value node.
func (p *parser) field(m *Manifest, key string, v *yaml.Node) error {
	var err error
	switch key {
	case "name":
		if m.Name, err = p.str(key, v); err == nil {
			if verr := lambda.ValidateName(m.Name); verr != nil {
				err = p.errAt(v.Line, key, "%s", lambda.ErrorMessage(verr))
			}
		}
	case "project":
		if m.Project, err = p.str(key, v); err == nil {
			if verr := lambda.ValidateProjectName(m.Project); verr != nil {
				err = p.errAt(v.Line, key, "%s", lambda.ErrorMessage(verr))
			}
		}
	case "runtime":
		if m.Runtime, err = p.str(key, v); err == nil && !wordRE.MatchString(m.Runtime) {
			err = p.errAt(v.Line, key, "%q is not a runtime name: use e.g. python, node, go or dockerfile (see \"lambda runtimes\")", m.Runtime)
		}
	case "handler":
		m.Handler, err = p.str(key, v)
	case "protocol":
		if m.Protocol, err = p.str(key, v); err == nil && !slices.Contains(lambda.Protocols, m.Protocol) {
			err = p.errAt(v.Line, key, "%q is not supported: use %s", m.Protocol, strings.Join(lambda.Protocols, ", "))
		}
	case "port":
		m.Port, err = p.intIn(key, v, 1, 65535)
	case "env":
		m.Env, err = p.env(v)
	case "memory":
		m.MemoryBytes, err = p.size(key, v)
	case "timeout":
		m.Timeout, err = p.duration(key, v)
	case "concurrency":
		m.Scaling.Concurrency, err = p.optInt(key, v, 0, lambda.MaxConcurrency)
	case "min_instances":
		m.Scaling.MinInstances, err = p.optInt(key, v, 0, lambda.MaxInstancesLimit)
	case "max_instances":
		m.Scaling.MaxInstances, err = p.optInt(key, v, 0, lambda.MaxInstancesLimit)
	case "start_timeout":
		m.Scaling.StartTimeout, err = p.startTimeout(key, v)
	case "standby_timeout":
		m.Scaling.StandbyTimeout, err = p.standbyTimeout(key, v)
	case "auth":
		var auth string
		if auth, err = p.str(key, v); err == nil {
			if lambda.ValidateAuth(auth) != nil {
				err = p.errAt(v.Line, key, "%q is unknown: use %s (anyone may call the function) or %s (a key of invoke scope)", auth, lambda.AuthNone, lambda.AuthKey)
			} else {
				m.Scaling.Auth = &auth
			}
		}
	case "max_retries":
		m.Scaling.MaxRetries, err = p.optInt(key, v, 0, lambda.MaxMaxRetries)
	case "retry_delay":
		m.Scaling.RetryDelay, err = p.defaultedDuration(key, v, lambda.MinRetryDelay, lambda.MaxRetryDelay, lambda.DefaultRetryDelay)
	case "max_event_age":
		m.Scaling.MaxEventAge, err = p.defaultedDuration(key, v, lambda.MinMaxEventAge, lambda.MaxMaxEventAge, lambda.DefaultMaxEventAge)
	case "async_concurrency":
		m.Scaling.AsyncConcurrency, err = p.optInt(key, v, 0, lambda.MaxConcurrency*lambda.MaxInstancesLimit)
	case "on_success":
		m.Scaling.OnSuccess, err = p.destination(key, v)
	case "on_failure":
		m.Scaling.OnFailure, err = p.destination(key, v)
	case "placement":
		m.Placement, err = p.placement(v)
	case "schedules":
		m.Schedules, err = p.schedules(v)
	}
	return err
}

var wordRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,62}$`)

// str reads a non-empty scalar as text.
func (p *parser) str(key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", p.errAt(v.Line, key, "must be a single value, not %s", describe(v))
	}
	if v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
		return "", p.errAt(v.Line, key, "is empty: set a value or remove the key")
	}
	return v.Value, nil
}

func (p *parser) intIn(key string, v *yaml.Node, lo, hi int) (int, error) {
	s, err := p.str(key, v)
	if err != nil {
		return 0, err
	}
	var n int
	if v.Tag != "!!int" || v.Decode(&n) != nil {
		return 0, p.errAt(v.Line, key, "%q is not a whole number", s)
	}
	if n < lo || n > hi {
		return 0, p.errAt(v.Line, key, "%d is out of range %d-%d", n, lo, hi)
	}
	return n, nil
}

// optInt is intIn for settings where 0 differs from unset.
func (p *parser) optInt(key string, v *yaml.Node, lo, hi int) (*int, error) {
	n, err := p.intIn(key, v, lo, hi)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func (p *parser) size(key string, v *yaml.Node) (int64, error) {
	s, err := p.str(key, v)
	if err != nil {
		return 0, err
	}
	n, err := lambda.ParseBytes(s)
	if err != nil {
		return 0, p.errAt(v.Line, key, "%q is not a size: use a number with a unit k, m or g, e.g. 256m", s)
	}
	if n < lambda.MinMemoryBytes || n > lambda.MaxMemoryBytes {
		return 0, p.errAt(v.Line, key, "%s is out of range %s-%s (a number without unit counts bytes)", s,
			lambda.FormatBytes(lambda.MinMemoryBytes), lambda.FormatBytes(lambda.MaxMemoryBytes))
	}
	return n, nil
}

func (p *parser) duration(key string, v *yaml.Node) (time.Duration, error) {
	s, err := p.str(key, v)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, p.errAt(v.Line, key, "%q is not a duration: use a value like 500ms, 30s or 5m", s)
	}
	if d <= 0 || d > lambda.MaxTimeout {
		return 0, p.errAt(v.Line, key, "%s is out of range: use more than 0 and at most %s", s, lambda.MaxTimeout)
	}
	return d, nil
}

// startTimeout reads a function's start timeout.
func (p *parser) startTimeout(key string, v *yaml.Node) (*lambda.Duration, error) {
	s, err := p.str(key, v)
	if err != nil {
		return nil, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, p.errAt(v.Line, key, "%q is not a duration: use a value like 30s or 2m", s)
	}
	if d < lambda.MinStartTimeout || d > lambda.MaxStartTimeout {
		return nil, p.errAt(v.Line, key, "%s is out of range: use %s to %s", s, lambda.MinStartTimeout, lambda.MaxStartTimeout)
	}
	ld := lambda.Duration(d)
	return &ld, nil
}

// standbyTimeout reads how long an idle instance stays paused: 0
// disables paused standby.
func (p *parser) standbyTimeout(key string, v *yaml.Node) (*lambda.Duration, error) {
	s, err := p.str(key, v)
	if err != nil {
		return nil, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, p.errAt(v.Line, key, "%q is not a duration: use a value like 30s or 10m, or 0 to stop idle instances without pausing them", s)
	}
	ld := lambda.Duration(d)
	if d != 0 && (d < lambda.MinStandbyTimeout || d > lambda.MaxStandbyTimeout) {
		return nil, p.errAt(v.Line, key, "%s is out of range: use %s to %s, or 0", s, lambda.MinStandbyTimeout, lambda.MaxStandbyTimeout)
	}
	return &ld, nil
}

// defaultedDuration reads a duration from lo to hi, or 0 for def.
func (p *parser) defaultedDuration(key string, v *yaml.Node, lo, hi, def time.Duration) (*lambda.Duration, error) {
	s, err := p.str(key, v)
	if err != nil {
		return nil, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, p.errAt(v.Line, key, "%q is not a duration: use a value like 30s or 5m", s)
	}
	if d != 0 && (d < lo || d > hi || d%time.Millisecond != 0) {
		return nil, p.errAt(v.Line, key, "%s is out of range: use %s to %s, or 0 for the default (%s)", s,
			lambda.FormatDuration(lo), lambda.FormatDuration(hi), lambda.FormatDuration(def))
	}
	ld := lambda.Duration(d)
	return &ld, nil
}

// destination reads the function an asynchronous outcome is sent to; ""
// (or no value) is none, which removes a destination set before.
func (p *parser) destination(key string, v *yaml.Node) (*string, error) {
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "") {
		none := ""
		return &none, nil
	}
	s, err := p.str(key, v)
	if err != nil {
		return nil, err
	}
	if err := lambda.ValidateName(s); err != nil {
		return nil, p.errAt(v.Line, key, "%s", lambda.ErrorMessage(err))
	}
	return &s, nil
}

// env reads a mapping of variable names to scalar values; numbers and
// booleans are taken as written.
func (p *parser) env(v *yaml.Node) (map[string]string, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, p.errAt(v.Line, "env", "must be a mapping of NAME: value, not %s", describe(v))
	}
	env := map[string]string{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], deref(v.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, p.errAt(k.Line, "env", "variable names must be plain words, not %s", describe(k))
		}
		key := "env." + k.Value
		if err := lambda.ValidateEnvName(k.Value); err != nil {
			return nil, p.errAt(k.Line, key, "%s", lambda.ErrorMessage(err))
		}
		if _, dup := env[k.Value]; dup {
			return nil, p.errAt(k.Line, key, "is set twice: keep one")
		}
		if val.Kind != yaml.ScalarNode {
			return nil, p.errAt(val.Line, key, "must be a single value, not %s; quote it to pass text", describe(val))
		}
		if val.Tag == "!!null" {
			env[k.Value] = ""
			continue
		}
		env[k.Value] = val.Value
	}
	return env, nil
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// describe names a node's kind for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

// syntaxError rewrites yaml.v3's "yaml: line N: ..." as this package's
// errors.
func (p *parser) syntaxError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		return lambda.Errorf(lambda.EINVALID, "%s: line %s (is it valid YAML?)", p.file, rest)
	}
	return lambda.Errorf(lambda.EINVALID, "%s: %s (is it valid YAML?)", p.file, msg)
}

// suggest proposes the known key closest to an unknown one, or lists them.
func suggest(key string, known []string) string {
	if best := lambda.ClosestName(key, known); best != "" {
		return fmt.Sprintf(": did you mean %q?", best)
	}
	return ": use " + strings.Join(known, ", ")
}
