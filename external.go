package lambda

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// RuntimeExternal is the runtime shown for a function served by containers
// the platform did not start: found by their labels (Docker Compose
// services, for instance) and balanced by the gateway, but never built,
// scaled or stopped by it.
const RuntimeExternal = "external"

// Labels that expose a container started outside the platform as a
// function: lambda.expose=NAME with lambda.port=PORT, or the classic
// faas.name and faas.port. The port is the one the container serves HTTP on.
const (
	LabelExpose     = "lambda.expose"
	LabelExposePort = "lambda.port"
	LabelFaasName   = "faas.name"
	LabelFaasPort   = "faas.port"
)

// ExternalVersion is the version an external function's invocations,
// logs and metrics carry: the platform does not version it, but a version
// of 0 means that no instance served an invocation (Timed,
// HasPlatformLines).
const ExternalVersion = 1

// ExternalTimeout bounds each request to an external function: the
// platform has no configuration of its own for them, so they get a
// deployed function's default.
const ExternalTimeout = DefaultTimeout

// ExposedAs reads the labels of a container: ok is false when the
// container asks for nothing (neither lambda.expose nor faas.name); with
// ok, err says what is wrong with the labels (a bad name, a missing,
// non-numeric or out-of-range port), else name and port are the function
// and its port. lambda.* wins when a container carries both conventions.
func ExposedAs(labels map[string]string) (name string, port int, ok bool, err error) {
	nameKey, portKey := LabelExpose, LabelExposePort
	name, ok = labels[nameKey]
	if !ok {
		nameKey, portKey = LabelFaasName, LabelFaasPort
		if name, ok = labels[nameKey]; !ok {
			return "", 0, false, nil
		}
	}
	if err := ValidateName(name); err != nil {
		return "", 0, true, Errorf(EINVALID, "label %s: %s", nameKey, ErrorMessage(err))
	}
	raw, has := labels[portKey]
	if !has {
		return "", 0, true, Errorf(EINVALID, "label %s=%s has no %s label: add the port the container serves HTTP on, e.g. %s=8080", nameKey, name, portKey, portKey)
	}
	port, perr := strconv.Atoi(strings.TrimSpace(raw))
	switch {
	case perr != nil:
		return "", 0, true, Errorf(EINVALID, "label %s=%.40q is not a port number: use the port the container serves HTTP on, e.g. %s=8080", portKey, raw, portKey)
	case port < 1 || port > 65535:
		return "", 0, true, Errorf(EINVALID, "label %s=%d is out of range 1-65535", portKey, port)
	}
	return name, port, true, nil
}

// ExternalContainer is a running container that carries exposing labels,
// as the container engine reports it.
type ExternalContainer struct {
	ID     string
	Name   string // the container's name, e.g. shop-adder-2
	Labels map[string]string
	// IP is its address on a network the server reaches (a bridge network
	// on this host); "" when it has none.
	IP string
	// Project and Service name its Compose project and service, when
	// Compose started it.
	Project string
	Service string
	Started time.Time
}

// ExternalEvent is a change of the containers that carry exposing labels.
type ExternalEvent struct {
	// Sync, when set, holds every such container running now: it replaces
	// what was known (at start, and after the event stream broke).
	Sync []ExternalContainer
	// IsSync marks a Sync event, also an empty one.
	IsSync bool
	// Up is a container that started (or became healthy).
	Up *ExternalContainer
	// Down is the ID of a container that stops, died, was paused or
	// became unhealthy: it leaves the rotation at once.
	Down string
}

// ExternalWatcher finds the containers with exposing labels that the
// platform did not start, and follows them: a Sync first, then changes as
// the container engine tells them, and a Sync again after any gap, until
// ctx ends (then the channel closes).
type ExternalWatcher interface {
	WatchExternal(ctx context.Context) (<-chan ExternalEvent, error)
}

// ExternalFunction is a function served by external containers.
type ExternalFunction struct {
	Name string `json:"name"`
	Port int    `json:"port"`
	// Replicas are its running containers, with their load.
	Replicas []*Instance `json:"replicas"`
	// Projects and Services are the Compose projects and services the
	// replicas belong to (empty when Compose did not start them).
	Projects []string `json:"projects,omitempty"`
	Services []string `json:"services,omitempty"`
	// Shadowed: a deployed function of the same name wins; the labels are
	// ignored while it exists.
	Shadowed bool `json:"shadowed,omitempty"`
}

// ExternalFunctions lists the functions served by external containers.
type ExternalFunctions interface {
	// ExternalFunctions lists them, those without a running replica
	// left out.
	ExternalFunctions(ctx context.Context) ([]*ExternalFunction, error)
	// ExternalFunction finds one, also one whose replicas all stopped;
	// ENOTFOUND when no container ever exposed name.
	ExternalFunction(ctx context.Context, name string) (*ExternalFunction, error)
}

// AsFunction is f as the API shows a function: runtime external, plain
// HTTP on its port, ExternalVersion.
func (f *ExternalFunction) AsFunction() *Function {
	return &Function{
		Name: f.Name, ActiveVersion: ExternalVersion,
		Active: &Version{Function: f.Name, Number: ExternalVersion, Config: Config{
			Runtime: RuntimeExternal, Protocol: ProtocolHTTP, Port: f.Port,
			Timeout: Duration(ExternalTimeout),
		}},
	}
}

// IsExternal reports whether fn is served by external containers.
func IsExternal(fn *Function) bool {
	return fn != nil && fn.Active != nil && fn.Active.Config.Runtime == RuntimeExternal
}
