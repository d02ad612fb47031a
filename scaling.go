package lambda

import (
	"context"
	"time"
)

// Scaling defaults.
const (
	DefaultIdleTimeout = 5 * time.Minute
	MaxIdleTimeout     = 24 * time.Hour
	// DefaultStartTimeout bounds how long a new instance may take to
	// become ready (listen, or ask the Runtime API for its first event).
	DefaultStartTimeout = 60 * time.Second
	MinStartTimeout     = time.Second
	MaxStartTimeout     = 15 * time.Minute
	// DefaultStandbyTimeout is how long an idle instance above the minimum
	// stays paused before it is stopped (StandbyTimeout nil).
	DefaultStandbyTimeout = 10 * time.Minute
	MinStandbyTimeout     = time.Second
	MaxStandbyTimeout     = 24 * time.Hour
)

// Scaling is how a function's instance pool grows and shrinks. It belongs
// to the function, not to a version: it changes without a redeploy
// (`lambda config`) and survives rollbacks.
type Scaling struct {
	// Concurrency is how many requests one instance serves at once; 0
	// means the protocol's default: 1 for shim protocols (Lambda's model),
	// DefaultHTTPConcurrency for http functions.
	Concurrency  int      `json:"concurrency"`
	MinInstances int      `json:"min_instances"` // kept warm at all times
	MaxInstances int      `json:"max_instances"` // 0: DefaultMaxInstances
	IdleTimeout  Duration `json:"idle_timeout"`  // 0: DefaultIdleTimeout
	// StartTimeout bounds every wait for an instance to become ready: the
	// warm-up of a deploy or rollback and cold starts on demand. It is a
	// setting of the function, not of a version, so that `lambda config`
	// can raise it for a slow starter without a redeploy. 0:
	// DefaultStartTimeout.
	StartTimeout Duration `json:"start_timeout"`
	// StandbyTimeout is how long an instance above the minimum stays
	// paused (frozen: no CPU, memory kept) once its idle timeout has
	// passed, before it is stopped; a request resumes it in milliseconds
	// instead of a cold start. nil: DefaultStandbyTimeout; 0: instances
	// stop at their idle timeout, never paused.
	StandbyTimeout *Duration `json:"standby_timeout,omitempty"`
	// Reserved caps the function's concurrent requests; nil is no cap and
	// 0 disables the function (every request is throttled).
	Reserved *int `json:"reserved_concurrency,omitempty"`
	// Auth is who may invoke the function by its URL: AuthNone ("" too)
	// or AuthKey. Like a Function URL's auth type it belongs to the
	// function and changes without a redeploy.
	Auth string `json:"auth,omitempty"`

	// Asynchronous invocations (job.go) belong to the function for the
	// same reason: `lambda config` changes them without a redeploy.
	// MaxRetries nil is DefaultMaxRetries (0 is a valid setting).
	MaxRetries  *int     `json:"max_retries,omitempty"`
	RetryDelay  Duration `json:"retry_delay,omitempty"`   // 0: DefaultRetryDelay, doubled per retry
	MaxEventAge Duration `json:"max_event_age,omitempty"` // 0: DefaultMaxEventAge
	// AsyncConcurrency caps the jobs of the function running at once, so
	// that a burst of async work leaves room for synchronous requests;
	// 0 is the function's whole capacity (MaxInstances × Concurrency).
	AsyncConcurrency int `json:"async_concurrency,omitempty"`
	// OnSuccess and OnFailure name functions of the platform that receive
	// a DestinationRecord when a job succeeds or dies; "" is none.
	OnSuccess string `json:"on_success,omitempty"`
	OnFailure string `json:"on_failure,omitempty"`
}

// DefaultHTTPConcurrency is the per-instance concurrency of http functions
// when none is set.
const DefaultHTTPConcurrency = 16

// Effective returns s with defaults filled in for a function speaking
// protocol.
func (s Scaling) Effective(protocol string) Scaling {
	if s.Concurrency == 0 {
		s.Concurrency = 1
		if protocol == ProtocolHTTP {
			s.Concurrency = DefaultHTTPConcurrency
		}
	}
	if s.MaxInstances == 0 {
		s.MaxInstances = DefaultMaxInstances
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = Duration(DefaultIdleTimeout)
	}
	if s.StartTimeout == 0 {
		s.StartTimeout = Duration(DefaultStartTimeout)
	}
	if s.StandbyTimeout == nil {
		d := Duration(DefaultStandbyTimeout)
		s.StandbyTimeout = &d
	}
	if s.MaxRetries == nil {
		n := DefaultMaxRetries
		s.MaxRetries = &n
	}
	if s.RetryDelay == 0 {
		s.RetryDelay = Duration(DefaultRetryDelay)
	}
	if s.MaxEventAge == 0 {
		s.MaxEventAge = Duration(DefaultMaxEventAge)
	}
	if s.AsyncConcurrency == 0 {
		s.AsyncConcurrency = s.MaxInstances * s.Concurrency
	}
	// A reserved cap bounds async work too: past it a job would only be
	// throttled. (Reserved 0 disables the function: its jobs wait.)
	if s.Reserved != nil && *s.Reserved > 0 {
		s.AsyncConcurrency = min(s.AsyncConcurrency, *s.Reserved)
	}
	return s
}

// Validate reports the first setting out of range, naming it.
func (s Scaling) Validate() error {
	switch {
	case s.Concurrency < 0 || s.Concurrency > MaxConcurrency:
		return Errorf(EINVALID, "concurrency %d is out of range 0-%d", s.Concurrency, MaxConcurrency)
	case s.MinInstances < 0 || s.MinInstances > MaxInstancesLimit:
		return Errorf(EINVALID, "min instances %d is out of range 0-%d", s.MinInstances, MaxInstancesLimit)
	case s.MaxInstances < 0 || s.MaxInstances > MaxInstancesLimit:
		return Errorf(EINVALID, "max instances %d is out of range 0-%d", s.MaxInstances, MaxInstancesLimit)
	case s.MaxInstances > 0 && s.MinInstances > s.MaxInstances:
		return Errorf(EINVALID, "min instances %d is above max instances %d", s.MinInstances, s.MaxInstances)
	case ValidateIdleTimeout(time.Duration(s.IdleTimeout)) != nil:
		return ValidateIdleTimeout(time.Duration(s.IdleTimeout))
	case s.StartTimeout != 0 && (time.Duration(s.StartTimeout) < MinStartTimeout || time.Duration(s.StartTimeout) > MaxStartTimeout):
		return Errorf(EINVALID, "start timeout %s is out of range %s-%s", s.StartTimeout, MinStartTimeout, MaxStartTimeout)
	case ValidateStandbyTimeout(s.StandbyTimeout) != nil:
		return ValidateStandbyTimeout(s.StandbyTimeout)
	case s.Reserved != nil && (*s.Reserved < 0 || *s.Reserved > MaxConcurrency*MaxInstancesLimit):
		return Errorf(EINVALID, "reserved concurrency %d is out of range", *s.Reserved)
	case ValidateAuth(s.Auth) != nil:
		return ValidateAuth(s.Auth)
	}
	return s.validateAsync()
}

// ValidateStandbyTimeout checks a standby timeout: nil is the default, 0
// disables paused standby, else MinStandbyTimeout to MaxStandbyTimeout.
func ValidateStandbyTimeout(d *Duration) error {
	if d == nil || *d == 0 {
		return nil
	}
	if err := validateDuration("standby timeout", time.Duration(*d), MinStandbyTimeout, MaxStandbyTimeout); err != nil {
		return Errorf(EINVALID, "%s (0 disables paused standby; the default is %s)", ErrorMessage(err), FormatDuration(DefaultStandbyTimeout))
	}
	return nil
}

// Standby returns how long an idle instance stays paused before it stops;
// 0: never paused. For an Effective Scaling.
func (s Scaling) Standby() time.Duration {
	if s.StandbyTimeout == nil {
		return DefaultStandbyTimeout
	}
	return time.Duration(*s.StandbyTimeout)
}

// validateAsync checks the settings of asynchronous invocations; zero
// values mean the defaults.
func (s Scaling) validateAsync() error {
	if s.MaxRetries != nil && (*s.MaxRetries < 0 || *s.MaxRetries > MaxMaxRetries) {
		return Errorf(EINVALID, "max retries %d is out of range 0-%d", *s.MaxRetries, MaxMaxRetries)
	}
	if err := validateDefaulted("retry delay", time.Duration(s.RetryDelay), MinRetryDelay, MaxRetryDelay, DefaultRetryDelay); err != nil {
		return err
	}
	if err := validateDefaulted("max event age", time.Duration(s.MaxEventAge), MinMaxEventAge, MaxMaxEventAge, DefaultMaxEventAge); err != nil {
		return err
	}
	if hi := MaxConcurrency * MaxInstancesLimit; s.AsyncConcurrency < 0 || s.AsyncConcurrency > hi {
		return Errorf(EINVALID, "async concurrency %d is out of range 0-%d (0 means the function's whole capacity)", s.AsyncConcurrency, hi)
	}
	for _, d := range s.Destinations() {
		if err := ValidateName(d.Function); err != nil {
			return Errorf(EINVALID, "%s: %s", d.Setting, ErrorMessage(err))
		}
	}
	return nil
}

// validateDefaulted checks a duration where 0 means def.
func validateDefaulted(what string, d, lo, hi, def time.Duration) error {
	if d == 0 {
		return nil
	}
	if err := validateDuration(what, d, lo, hi); err != nil {
		return Errorf(EINVALID, "%s (0 means the default, %s)", ErrorMessage(err), FormatDuration(def))
	}
	return nil
}

// Destination is a function named by an asynchronous setting.
type Destination struct {
	Setting  string // on_success or on_failure
	Function string
}

// Destinations lists the destinations s sets.
func (s Scaling) Destinations() []Destination {
	var out []Destination
	if s.OnSuccess != "" {
		out = append(out, Destination{"on_success", s.OnSuccess})
	}
	if s.OnFailure != "" {
		out = append(out, Destination{"on_failure", s.OnFailure})
	}
	return out
}

// ScalingPatch changes some scaling settings; nil fields stay as they are.
type ScalingPatch struct {
	Concurrency  *int      `json:"concurrency,omitempty"`
	MinInstances *int      `json:"min_instances,omitempty"`
	MaxInstances *int      `json:"max_instances,omitempty"`
	IdleTimeout  *Duration `json:"idle_timeout,omitempty"`
	StartTimeout *Duration `json:"start_timeout,omitempty"`
	// StandbyTimeout: 0 disables paused standby.
	StandbyTimeout *Duration `json:"standby_timeout,omitempty"`
	// Reserved: a negative value removes the cap.
	Reserved *int    `json:"reserved_concurrency,omitempty"`
	Auth     *string `json:"auth,omitempty"`

	// Asynchronous invocations. A zero duration or async concurrency
	// restores the default; "" removes a destination.
	MaxRetries       *int      `json:"max_retries,omitempty"`
	RetryDelay       *Duration `json:"retry_delay,omitempty"`
	MaxEventAge      *Duration `json:"max_event_age,omitempty"`
	AsyncConcurrency *int      `json:"async_concurrency,omitempty"`
	OnSuccess        *string   `json:"on_success,omitempty"`
	OnFailure        *string   `json:"on_failure,omitempty"`
}

// Apply returns s changed by p.
func (p ScalingPatch) Apply(s Scaling) Scaling {
	if p.Concurrency != nil {
		s.Concurrency = *p.Concurrency
	}
	if p.MinInstances != nil {
		s.MinInstances = *p.MinInstances
	}
	if p.MaxInstances != nil {
		s.MaxInstances = *p.MaxInstances
	}
	if p.IdleTimeout != nil {
		s.IdleTimeout = *p.IdleTimeout
	}
	if p.StartTimeout != nil {
		s.StartTimeout = *p.StartTimeout
	}
	if p.StandbyTimeout != nil {
		d := *p.StandbyTimeout
		s.StandbyTimeout = &d
	}
	if p.Auth != nil {
		s.Auth = *p.Auth
	}
	if p.Reserved != nil {
		if *p.Reserved < 0 {
			s.Reserved = nil
		} else {
			r := *p.Reserved
			s.Reserved = &r
		}
	}
	return p.applyAsync(s)
}

func (p ScalingPatch) applyAsync(s Scaling) Scaling {
	if p.MaxRetries != nil {
		n := *p.MaxRetries
		s.MaxRetries = &n
	}
	if p.RetryDelay != nil {
		s.RetryDelay = *p.RetryDelay
	}
	if p.MaxEventAge != nil {
		s.MaxEventAge = *p.MaxEventAge
	}
	if p.AsyncConcurrency != nil {
		s.AsyncConcurrency = *p.AsyncConcurrency
	}
	if p.OnSuccess != nil {
		s.OnSuccess = *p.OnSuccess
	}
	if p.OnFailure != nil {
		s.OnFailure = *p.OnFailure
	}
	return s
}

// IsZero reports whether p changes nothing.
func (p ScalingPatch) IsZero() bool {
	return p.Concurrency == nil && p.MinInstances == nil && p.MaxInstances == nil && p.IdleTimeout == nil && p.StartTimeout == nil && p.StandbyTimeout == nil && p.Reserved == nil && p.Auth == nil &&
		!p.HasAsync()
}

// HasAsync reports whether p changes a setting of asynchronous
// invocations.
func (p ScalingPatch) HasAsync() bool {
	return p.MaxRetries != nil || p.RetryDelay != nil || p.MaxEventAge != nil || p.AsyncConcurrency != nil || p.OnSuccess != nil || p.OnFailure != nil
}

// ScalingSettings names the settings a ScalingPatch can change, as in its
// JSON, for messages that tell the user what to pass.
var ScalingSettings = []string{"concurrency", "min_instances", "max_instances", "idle_timeout", "start_timeout", "standby_timeout", "reserved_concurrency", "auth",
	"max_retries", "retry_delay", "max_event_age", "async_concurrency", "on_success", "on_failure"}

// ScalingService changes a function's scaling at run time.
type ScalingService interface {
	UpdateScaling(ctx context.Context, name string, p ScalingPatch) (*Function, error)
}
