package bench

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report is the outcome of a run; its JSON form is what `lambda bench
// --json` prints. Times are in milliseconds, rates per second, ratios
// plain numbers.
type Report struct {
	Mode      string    `json:"mode"` // quick or full
	Date      time.Time `json:"date"`
	DurationS float64   `json:"duration_s"` // of the whole run, builds included
	Machine   Machine   `json:"machine"`
	Warm      Warm      `json:"warm"`
	Cold      Cold      `json:"cold"`
	Stdio     Stdio     `json:"stdio"`
	Scale     Scale     `json:"scale"`
	Async     Async     `json:"async"`
	Deploy    Deploy    `json:"deploy"`
	Targets   []Target  `json:"targets"`
	// Failures are the measurements that failed; the report holds what
	// the others measured.
	Failures []Failure `json:"failures,omitempty"`
}

// Machine describes where the figures were measured.
type Machine struct {
	Cores         int    `json:"cores"`
	CPU           string `json:"cpu,omitempty"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
	GoVersion     string `json:"go_version"`
	DockerVersion string `json:"docker_version"`
}

// DetectMachine fills in what the process can tell about its host; the
// Docker version comes from the caller.
func DetectMachine() Machine {
	return Machine{
		Cores:     runtime.NumCPU(),
		CPU:       cpuModel(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		GoVersion: runtime.Version(),
	}
}

// cpuModel reads the CPU's name on Linux; "" elsewhere.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Warm compares one warm container hit directly and through the gateway.
type Warm struct {
	DirectP50Ms  float64 `json:"direct_p50_ms"`
	DirectP99Ms  float64 `json:"direct_p99_ms"`
	GatewayP50Ms float64 `json:"gateway_p50_ms"`
	GatewayP99Ms float64 `json:"gateway_p99_ms"`
	// AddedP50Ms is what the gateway adds to the median request.
	AddedP50Ms     float64 `json:"added_p50_ms"`
	AddedP99Ms     float64 `json:"added_p99_ms"`
	LatencySamples int     `json:"latency_samples"` // per variant, at concurrency 1
	DirectRPS      float64 `json:"direct_rps"`
	GatewayRPS     float64 `json:"gateway_rps"`
	RPSRatio       float64 `json:"rps_ratio"` // gateway_rps / direct_rps
	// DirectCPUUsPerReq is this process's CPU time per request in the
	// direct requests/s rounds: the load generator's own (and the idle
	// platform's). GatewayCPUUsPerReq is what the gateway adds to it per
	// request in the gateway rounds: the gateway's CPU time per request,
	// proxy, observers and the background work they leave included.
	DirectCPUUsPerReq  float64 `json:"direct_cpu_us_per_req"`
	GatewayCPUUsPerReq float64 `json:"gateway_cpu_us_per_req"`
	Concurrency        int     `json:"concurrency"`
	RPSSeconds         float64 `json:"rps_seconds"` // measured per variant
	Rounds             int     `json:"rounds"`
	Errors             int     `json:"errors"`
}

// Cold compares a request to a function without a warm instance, through
// the gateway, with a bare create+start+first 200 of the same image.
type Cold struct {
	BareP50Ms      float64 `json:"bare_p50_ms"`
	BareP99Ms      float64 `json:"bare_p99_ms"`
	GatewayP50Ms   float64 `json:"gateway_p50_ms"`
	GatewayP99Ms   float64 `json:"gateway_p99_ms"`
	Ratio          float64 `json:"ratio"` // gateway_p50 / bare_p50
	BareSamples    int     `json:"bare_samples"`
	GatewaySamples int     `json:"gateway_samples"`
	// Discarded counts gateway samples dropped because the platform did
	// not report a cold start.
	Discarded int `json:"discarded"`
	// Paused*: a request to a function whose only instance is paused,
	// through the gateway (cold_paused.go); PausedDiscarded counts samples
	// the platform served with a cold start instead.
	PausedP50Ms     float64 `json:"paused_p50_ms"`
	PausedP99Ms     float64 `json:"paused_p99_ms"`
	PausedSamples   int     `json:"paused_samples"`
	PausedDiscarded int     `json:"paused_discarded"`
	// Preinit*: a cold start of a function while a generic instance that
	// fits it is ready (cold_preinit.go): of its runtime for Python and
	// Node, of the shim base for Go SDK, aws-lambda-go and stdio Go ones.
	PreinitPython PreinitFigures `json:"preinit_python"`
	PreinitNode   PreinitFigures `json:"preinit_node"`
	PreinitGo     PreinitFigures `json:"preinit_go"`
	PreinitAWS    PreinitFigures `json:"preinit_aws"`
	PreinitStdio  PreinitFigures `json:"preinit_stdio"`
}

// Stdio compares a container per call (the classic model) with the warm
// pool of a stdio function.
type Stdio struct {
	PerCallRPS   float64 `json:"per_call_rps"`
	PoolRPS      float64 `json:"pool_rps"`
	Ratio        float64 `json:"ratio"` // pool_rps / per_call_rps
	PerCallP50Ms float64 `json:"per_call_p50_ms"`
	PoolP50Ms    float64 `json:"pool_p50_ms"`
	PerCallCalls int     `json:"per_call_calls"`
	PoolCalls    int     `json:"pool_calls"`
	Concurrency  int     `json:"concurrency"`
	Rounds       int     `json:"rounds"`
	Errors       int     `json:"errors"`
}

// Scale is how fast the platform starts instances in parallel.
type Scale struct {
	Instances      int     `json:"instances"`
	Rounds         int     `json:"rounds"`
	SecondsP50     float64 `json:"seconds_p50"` // until all instances serve
	ContainersPerS float64 `json:"containers_per_s"`
	// The same number of containers started at once through the Docker
	// API alone, in rounds alternated with the platform's.
	BareSecondsP50     float64 `json:"bare_seconds_p50"`
	BareContainersPerS float64 `json:"bare_containers_per_s"`
	Ratio              float64 `json:"ratio"` // containers_per_s / bare_containers_per_s
}

// Deploy is how long deploys take with warm caches (deploy.go), in
// seconds, from the deploy call until the gateway serves the new code:
// medians of Samples each.
type Deploy struct {
	FirstGoS        float64 `json:"first_go_s"`        // a new Go function
	RedeployGoS     float64 `json:"redeploy_go_s"`     // new code of a Go function
	RedeployPythonS float64 `json:"redeploy_python_s"` // new code of a Python function
	RedeployNodeS   float64 `json:"redeploy_node_s"`   // new code of a Node function
	Samples         int     `json:"samples"`
}

// Failure is a measurement of a run that failed: its figures are missing
// or partial, and its targets are left out of the report.
type Failure struct {
	Phase   string `json:"phase"`   // as --phases names it
	Figures string `json:"figures"` // the figures it leaves out, e.g. cold.paused_*
	Error   string `json:"error"`
}

// err is the error of a run with failures: each phase's, one a line.
func (r *Report) err() error {
	if len(r.Failures) == 0 {
		return nil
	}
	msgs := make([]string, len(r.Failures))
	for i, f := range r.Failures {
		msgs[i] = f.Phase + ": " + f.Error
	}
	return errors.New(strings.Join(msgs, "\n"))
}
