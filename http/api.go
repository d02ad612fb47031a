// Package http serves the control API, the function gateway and the health
// check on one port, and provides the Client the CLI uses to talk to it.
// docs/api.md documents the wire format defined here.
package http

import (
	"encoding/json"
	"time"

	"github.com/lambdahq/lambda"
)

// ErrorResponse is the body of every error the server returns.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody carries a domain error code and a user-facing message.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// DeployRequest is the "config" part of a deploy upload.
type DeployRequest struct {
	Config lambda.Config `json:"config"`
	// Scaling changes the function's scaling settings with the deploy.
	Scaling lambda.ScalingPatch `json:"scaling,omitzero"`
	// Image names an image on the server's host to deploy; the upload then
	// has no part after the config.
	Image string `json:"image,omitempty"`
	// Git names a repository tree to clone and deploy; the upload then has
	// no part after the config (deploy_git.go).
	Git *GitRequest `json:"git,omitempty"`
	// Force publishes a new version even when the code (or image) and the
	// configuration are those of the active version.
	Force bool `json:"force,omitempty"`
	// Canary, when above 0, publishes the new version with this share of
	// live's traffic (0 to 1); the active version keeps the rest.
	Canary float64 `json:"canary,omitempty"`
	// Schedules (a manifest's; Function may be empty) are checked before
	// anything is built and applied once the deploy is live, all or none:
	// one identical to an existing schedule is kept, the others created.
	Schedules []ScheduleRequest `json:"schedules,omitempty"`
}

// Deploy event types, streamed as NDJSON while a deploy runs.
const (
	EventStep  = "step"  // a stage starts: Step/Total and Message
	EventLog   = "log"   // a chunk of build output in Message
	EventDone  = "done"  // success: Function and Changed are set
	EventError = "error" // failure: Error is set; the previous version still serves
)

// DeployEvent is one line of the deploy response stream.
type DeployEvent struct {
	Type     string          `json:"type"`
	Step     int             `json:"step,omitempty"`
	Total    int             `json:"total,omitempty"`
	Message  string          `json:"message,omitempty"`
	Function *FunctionDetail `json:"function,omitempty"`
	// Changed, in the done event, is false when the deploy found the code
	// and configuration of the active version and published nothing.
	Changed *bool      `json:"changed,omitempty"`
	Error   *ErrorBody `json:"error,omitempty"`
	// Schedules, in the done event, are the deploy's schedules as applied
	// (existed: an identical one was kept), in the request's order.
	Schedules []lambda.AppliedSchedule `json:"schedules,omitempty"`
	// Project, in the done event of a project deploy, is its outcome.
	Project *ProjectDeployResult `json:"project,omitempty"`
}

// DeployResult is the outcome of a deploy as the client returns it: the
// function, and whether a new version was published.
type DeployResult struct {
	FunctionDetail
	Changed bool `json:"changed"`
	// Schedules are the deploy's schedules as the server applied them.
	Schedules []lambda.AppliedSchedule `json:"schedules,omitempty"`
}

// FunctionSummary is one row of the function list.
type FunctionSummary struct {
	Name      string    `json:"name"`
	Project   string    `json:"project,omitempty"` // the project that declares it, if any
	Version   int       `json:"version"`
	Runtime   string    `json:"runtime"`
	Status    string    `json:"status"` // StatusReady, StatusIdle or StatusUnknown: ready, idle, unknown
	URL       string    `json:"url"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FunctionList is the body of GET /v1/functions.
type FunctionList struct {
	Functions []FunctionSummary `json:"functions"`
}

// FunctionDetail is the body of GET /v1/functions/{name}.
type FunctionDetail struct {
	Name      string             `json:"name"`
	Project   string             `json:"project,omitempty"` // the project that declares it, if any
	URL       string             `json:"url"`
	PathURL   string             `json:"path_url"`
	Status    string             `json:"status"` // as FunctionSummary.Status
	Active    *lambda.Version    `json:"active"`
	Scaling   lambda.Scaling     `json:"scaling"` // in force: defaults filled in
	Instances []*lambda.Instance `json:"instances"`
	// Aliases are the function's aliases, live first (none for a
	// function the platform did not deploy).
	Aliases   []*lambda.Alias `json:"aliases,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// VersionInfo is a version with whether it serves traffic.
type VersionInfo struct {
	lambda.Version
	Active bool `json:"active"`
	// Pruned: the version's image was removed (see PrunedAt); it is
	// listed but cannot serve again without a redeploy.
	Pruned bool `json:"pruned"`
}

// VersionList is the body of GET /v1/functions/{name}/versions.
type VersionList struct {
	Versions []VersionInfo `json:"versions"`
}

// RollbackRequest is the body of POST /v1/functions/{name}/rollback: a
// JSON object, {} for the version before the active one. A version, when
// given, is numbered from 1.
type RollbackRequest struct {
	Version *int `json:"version,omitempty"`
}

// ScheduleRequest is the body of POST /v1/schedules.
type ScheduleRequest struct {
	Function string          `json:"function"`
	Cron     string          `json:"cron"`
	Timezone string          `json:"timezone,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"` // the payload each tick POSTs
	Overlap  string          `json:"overlap,omitempty"`
}

// ScheduleList is the body of GET /v1/schedules.
type ScheduleList struct {
	Schedules []*lambda.Schedule `json:"schedules"`
}

// Health is the body of GET /healthz.
type Health struct {
	Status string `json:"status"` // ok or degraded
	Store  string `json:"store"`
	Docker string `json:"docker"`
	// Backend and Nodes describe a cluster backend (swarm): every node
	// and its state. Nodes that are down leave the status ok while one
	// is ready: the cluster still runs instances.
	Backend string        `json:"backend,omitempty"`
	Nodes   []lambda.Node `json:"nodes,omitempty"`
	// Capacity is how many instances the backend runs at once, as its
	// driver last said (on Swarm it follows the ready nodes), and
	// Instances how many run or start now.
	Capacity  *int `json:"capacity,omitempty"`
	Instances *int `json:"instances,omitempty"`
}
