package main

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

type deployOptions struct {
	name         string
	image        string
	archive      string
	runtime      string
	handler      string
	protocol     string
	port         int
	env          []string
	memory       string
	placement    []string // --placement: Swarm constraints (repeatable)
	timeout      string
	concurrency  int
	minInstances int
	maxInstances int
	startTimeout string
	standby      string
	auth         string // --auth: none or key
	async        asyncFlags
	output       string
	force        bool   // publish even when nothing changed
	canary       string // --canary: the new version's share of live's traffic
	// A project's (deploy_project.go).
	only    string // --only: comma-separated function names
	prune   bool
	prefix  bool
	verbose bool
	quiet   bool
	// changed reports whether the user set a flag; only those override
	// the manifest.
	changed func(flag string) bool
}

// request builds the deploy's config part for function name: the
// manifest's settings (m may be nil), overridden by the flags the user set.
// Unset fields stay zero so the server applies its defaults, but every
// value is checked here first.
func (o *deployOptions) request(name string, m *manifest.Manifest) (lambdahttp.DeployRequest, error) {
	req, err := o.settings(m)
	if err != nil {
		return req, err
	}
	if err := checkOwnDestination(name, req.Scaling); err != nil {
		return req, err
	}
	if err := req.Config.WithDefaults().Validate(); err != nil {
		return req, usageErrorf("%w", err)
	}
	if err := req.Scaling.Apply(lambda.Scaling{}).Validate(); err != nil {
		return req, usageErrorf("%w", err)
	}
	return req, nil
}

// settings is the manifest's settings (m may be nil) overridden by the
// flags the user set, each flag's value checked but not their whole.
func (o *deployOptions) settings(m *manifest.Manifest) (lambdahttp.DeployRequest, error) {
	req := lambdahttp.DeployRequest{Force: o.force}
	if o.changed("canary") {
		w, err := parseWeight("--canary", o.canary)
		if err != nil {
			return req, err
		}
		if w == 0 {
			return req, usageErrorf("--canary 0 sends the new version no traffic: give a share above 0, e.g. 10%%")
		}
		req.Canary = w
	}
	if m != nil {
		req.Config = m.Config()
		req.Config.Env = maps.Clone(req.Config.Env)
		req.Scaling = m.Scaling
	}
	cfg := &req.Config
	if o.changed("runtime") {
		cfg.Runtime = o.runtime
	}
	if o.changed("handler") {
		cfg.Handler = o.handler
	}
	if o.changed("protocol") {
		if !slices.Contains(lambda.Protocols, o.protocol) {
			return req, usageErrorf("--protocol %q is not supported: use %s", o.protocol, strings.Join(lambda.Protocols, ", "))
		}
		cfg.Protocol = o.protocol
	}
	if o.changed("port") {
		if o.port < 1 || o.port > 65535 {
			return req, usageErrorf("--port %d is out of range 1-65535", o.port)
		}
		cfg.Port = o.port
	}
	env, err := parseEnv(o.env)
	if err != nil {
		return req, err
	}
	if len(env) > 0 {
		// Flags add to the manifest's variables, replacing same names.
		if cfg.Env == nil {
			cfg.Env = map[string]string{}
		}
		maps.Copy(cfg.Env, env)
	}
	if o.changed("memory") {
		n, err := lambda.ParseBytes(o.memory)
		if err != nil {
			return req, usageErrorf("--memory: %w", err)
		}
		cfg.MemoryBytes = n
	}
	if o.changed("placement") {
		if err := lambda.ValidatePlacement(o.placement); err != nil {
			return req, usageErrorf("--placement: %w", err)
		}
		cfg.Placement = o.placement
	}
	if o.changed("timeout") {
		d, err := time.ParseDuration(o.timeout)
		if err != nil {
			return req, usageErrorf("--timeout %q is invalid: use a duration like 500ms, 30s or 5m", o.timeout)
		}
		// Checked here, before defaults apply: an explicit 0 is not "unset".
		if err := lambda.ValidateTimeout(d); err != nil {
			return req, usageErrorf("--%w", err)
		}
		cfg.Timeout = lambda.Duration(d)
	}
	setInt := func(flag string, v int, dst **int) {
		if o.changed(flag) {
			*dst = &v
		}
	}
	setInt("concurrency", o.concurrency, &req.Scaling.Concurrency)
	setInt("min-instances", o.minInstances, &req.Scaling.MinInstances)
	setInt("max-instances", o.maxInstances, &req.Scaling.MaxInstances)
	if o.changed("start-timeout") {
		d, err := parseStartTimeout(o.startTimeout)
		if err != nil {
			return req, err
		}
		req.Scaling.StartTimeout = &d
	}
	if o.changed("standby-timeout") {
		d, err := parseStandbyTimeout(o.standby)
		if err != nil {
			return req, err
		}
		req.Scaling.StandbyTimeout = &d
	}
	if o.changed("auth") {
		if err := lambda.ValidateAuth(o.auth); err != nil {
			return req, usageErrorf("--auth: %w", err)
		}
		req.Scaling.Auth = &o.auth
	}
	if err := o.async.apply(o.changed, &req.Scaling); err != nil {
		return req, err
	}
	return req, nil
}

// parseStandbyTimeout parses --standby-timeout, for deploy and config: 0
// disables paused standby.
func parseStandbyTimeout(s string) (lambda.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, usageErrorf("--standby-timeout %q is invalid: use a duration like 30s or 10m, or 0 to stop idle instances without pausing them", s)
	}
	ld := lambda.Duration(d)
	if err := lambda.ValidateStandbyTimeout(&ld); err != nil {
		return 0, usageErrorf("--standby-timeout: %w", err)
	}
	return ld, nil
}

// parseStartTimeout parses --start-timeout, for deploy and config.
func parseStartTimeout(s string) (lambda.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, usageErrorf("--start-timeout %q is invalid: use a duration like 30s or 2m", s)
	}
	if d != 0 && (d < lambda.MinStartTimeout || d > lambda.MaxStartTimeout) {
		return 0, usageErrorf("--start-timeout %s is out of range %s-%s (0: the default, %s)", d, lambda.MinStartTimeout, lambda.MaxStartTimeout, lambda.DefaultStartTimeout)
	}
	return lambda.Duration(d), nil
}

// parseEnv parses repeated KEY=VALUE flags; a later KEY wins.
func parseEnv(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	env := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageErrorf("--env %q is invalid: use KEY=VALUE", kv)
		}
		if err := lambda.ValidateEnvName(k); err != nil {
			return nil, usageErrorf("--env %q: %w", kv, err)
		}
		env[k] = v
	}
	return env, nil
}
