package manifest

import (
	"maps"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/lambdahq/lambda"
)

// ProjectKeys are the top-level keys that make lambda.yaml a project: one
// tree, several functions. The other top-level keys (but name and
// schedules) are shared by every function unless an entry overrides them.
var ProjectKeys = []string{"project", "functions"}

// FunctionKeys are the keys of one entry under functions: every
// per-function key of a single-function manifest but name (the entry's
// key is its name), and schedule, a shorthand for one cron schedule.
var FunctionKeys = append(slices.DeleteFunc(slices.Clone(Keys), func(k string) bool { return k == "name" }), "schedule")

// Function is one entry of a project's functions: its settings are the
// project's with the entry's over them (env merged, the entry's variables
// winning). Name is the entry's key.
type Function struct {
	Manifest
	Line int // where the entry's name is in the file
}

// IsProject reports whether the manifest declares a project.
func (m *Manifest) IsProject() bool { return m != nil && m.Project != "" }

// topKeys are the keys the top level of lambda.yaml may hold.
var topKeys = append(slices.Clone(Keys), ProjectKeys...)

// project checks the project keys of m once the top level is read: both
// or neither, and no key that only a single function may set.
func (p *parser) project(m *Manifest, lines map[string]int, functions *yaml.Node) error {
	_, hasProject := lines["project"]
	switch {
	case !hasProject && functions == nil:
		return nil
	case !hasProject:
		return p.errAt(lines["functions"], "functions", "needs project: NAME at the top of the file, naming the project its functions belong to")
	case functions == nil:
		return p.errAt(lines["project"], "project", "a project lists its functions under functions:, e.g. functions: {api: {handler: functions.api}}")
	}
	if l, ok := lines["name"]; ok {
		return p.errAt(l, "name", "a project's functions are named by their keys under functions: remove name")
	}
	if l, ok := lines["schedules"]; ok {
		return p.errAt(l, "schedules", "in a project, schedules belong to a function: move them under its entry in functions")
	}
	if functions.Kind == yaml.MappingNode && len(functions.Content) == 0 || functions.Kind == yaml.ScalarNode && functions.Tag == "!!null" {
		return p.errAt(functions.Line, "functions", "project %q declares no function: add one, e.g. functions: {api: {handler: functions.api}}", m.Project)
	}
	if functions.Kind != yaml.MappingNode {
		return p.errAt(functions.Line, "functions", "must be a mapping of function names to their settings, e.g. api: {handler: functions.api}, not %s", describe(functions))
	}
	shared := *m
	shared.Project, shared.Functions = "", nil
	seen := map[string]int{}
	for i := 0; i+1 < len(functions.Content); i += 2 {
		k, v := functions.Content[i], deref(functions.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return p.errAt(k.Line, "functions", "function names must be plain words, not %s", describe(k))
		}
		name := k.Value
		key := "functions." + name
		if err := lambda.ValidateName(name); err != nil {
			return p.errAt(k.Line, key, "%s", lambda.ErrorMessage(err))
		}
		if first, dup := seen[name]; dup {
			return p.errAt(k.Line, key, "function %q is declared twice (first on line %d): keep one", name, first)
		}
		seen[name] = k.Line
		fn, err := p.function(name, v)
		if err != nil {
			return err
		}
		merged := merge(shared, fn.Manifest)
		merged.Name = name
		if lo, hi := merged.Scaling.MinInstances, merged.Scaling.MaxInstances; lo != nil && hi != nil && *hi > 0 && *lo > *hi {
			return p.errAt(v.Line, key, "min_instances %d is above max_instances %d", *lo, *hi)
		}
		for _, d := range merged.Scaling.Apply(lambda.Scaling{}).Destinations() {
			if d.Function == name {
				return p.errAt(v.Line, key+"."+d.Setting, "%q is this function: a function cannot be its own destination (it would loop); name another function", d.Function)
			}
		}
		m.Functions = append(m.Functions, Function{Manifest: merged, Line: k.Line})
	}
	return nil
}

// function reads one entry of functions: a mapping of per-function keys,
// or nothing (the project's settings alone).
func (p *parser) function(name string, v *yaml.Node) (Function, error) {
	fn := Function{}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return fn, nil
	}
	prefix := "functions." + name
	if v.Kind != yaml.MappingNode {
		return fn, p.errAt(v.Line, prefix, "must be a mapping of settings, e.g. {handler: functions.%s}, not %s", name, describe(v))
	}
	var schedule *Schedule
	lines, err := p.walkMapping(v, prefix+".", FunctionKeys, func(key string, k, val *yaml.Node) error {
		if key == "schedule" {
			cron, err := p.str(prefix+".schedule", val)
			if err != nil {
				return err
			}
			schedule = &Schedule{Cron: cron, Line: val.Line}
			return nil
		}
		return p.field(&fn.Manifest, key, val)
	})
	if err != nil {
		return fn, err
	}
	if schedule != nil {
		if l, ok := lines["schedules"]; ok {
			return fn, p.errAt(l, prefix+".schedules", "is set with schedule (line %d): keep one, or list every schedule under schedules", lines["schedule"])
		}
		fn.Schedules = []Schedule{*schedule}
	}
	return fn, nil
}

// merge returns base with every field top sets replaced by top's; env
// merges, top's variables winning.
func merge(base, top Manifest) Manifest {
	out := base
	if top.Runtime != "" {
		out.Runtime = top.Runtime
	}
	if top.Handler != "" {
		out.Handler = top.Handler
	}
	if top.Protocol != "" {
		out.Protocol = top.Protocol
	}
	if top.Port != 0 {
		out.Port = top.Port
	}
	if top.MemoryBytes != 0 {
		out.MemoryBytes = top.MemoryBytes
	}
	if top.Timeout != 0 {
		out.Timeout = top.Timeout
	}
	if top.Placement != nil {
		out.Placement = top.Placement
	}
	if base.Env != nil || top.Env != nil {
		out.Env = maps.Clone(base.Env)
		if out.Env == nil {
			out.Env = map[string]string{}
		}
		maps.Copy(out.Env, top.Env)
	}
	out.Scaling = (&lambda.DeployManifest{Scaling: base.Scaling}).Under(lambda.DeployRequest{Scaling: top.Scaling}).Scaling
	out.Schedules = top.Schedules
	return out
}

// DeployProject returns what a project manifest declares for a deploy,
// its functions in the file's order; nil when m declares no project.
func (m *Manifest) DeployProject() *lambda.ProjectManifest {
	if !m.IsProject() {
		return nil
	}
	out := &lambda.ProjectManifest{Project: m.Project}
	for _, f := range m.Functions {
		out.Functions = append(out.Functions, lambda.ProjectFunction{Name: f.Name, DeployManifest: *f.Deploy()})
	}
	return out
}
