package lambda

import (
	"maps"
	"reflect"
)

// DeployManifest is what a function's manifest (lambda.yaml) declares
// for a deploy. Zero fields were not set.
type DeployManifest struct {
	Config    Config
	Scaling   ScalingPatch
	Schedules []ScheduleSpec
}

// ManifestReader reads the manifest of an uploaded function tree, so that
// the server, not the client, applies what it declares.
type ManifestReader interface {
	// ReadManifest reads the manifest in dir: nil, nil when there is none;
	// an EINVALID naming the file, line and key for a bad one.
	ReadManifest(dir string) (*DeployManifest, error)
}

// Under returns req with the manifest's settings wherever req sets none:
// the request carries the user's flags, which override the file. Env
// merges, the request's variables replacing the file's of the same name;
// the file's schedules apply when the request has none.
func (m *DeployManifest) Under(req DeployRequest) DeployRequest {
	if m == nil {
		return req
	}
	c, base := req.Config, m.Config
	if c.Runtime == "" {
		c.Runtime = base.Runtime
	}
	if c.Protocol == "" {
		c.Protocol = base.Protocol
	}
	if c.Handler == "" {
		c.Handler = base.Handler
	}
	if c.Port == 0 {
		c.Port = base.Port
	}
	if c.MemoryBytes == 0 {
		c.MemoryBytes = base.MemoryBytes
	}
	if c.Timeout == 0 {
		c.Timeout = base.Timeout
	}
	if c.Placement == nil {
		c.Placement = base.Placement
	}
	if len(base.Env) > 0 {
		env := maps.Clone(base.Env)
		maps.Copy(env, c.Env)
		c.Env = env
	}
	req.Config = c
	req.Scaling = overPatch(m.Scaling, req.Scaling)
	if len(req.Schedules) == 0 {
		for _, s := range m.Schedules {
			s.Function = req.Name
			req.Schedules = append(req.Schedules, s)
		}
	}
	return req
}

// overPatch returns base with every field top sets replaced by top's.
func overPatch(base, top ScalingPatch) ScalingPatch {
	b, t := reflect.ValueOf(&base).Elem(), reflect.ValueOf(top)
	for i := range t.NumField() {
		if f := t.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			b.Field(i).Set(f)
		}
	}
	return base
}
