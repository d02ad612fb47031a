package lambda

import (
	"context"
	"time"
)

// Hook is a push-to-deploy webhook: a push to Branch of Repository that
// the hook's secret signs redeploys Project from the pushed commit.
type Hook struct {
	ID string `json:"id"`
	// Project is the project (or single function) the hook redeploys.
	Project string `json:"project"`
	// Repository is the URL cloned on a push, without credentials.
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	// Subdir is the directory of the repository deployed ("": its root).
	Subdir    string    `json:"subdir,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Last is the hook's latest delivery that deployed, or tried to.
	Last *HookDelivery `json:"last_delivery,omitempty"`

	// token authenticates the clones of a private repository; it is kept
	// sealed with the secret and opened per delivery, never listed.
	token string
}

// HookPath is the path of hook id's endpoint on the server.
func HookPath(id string) string { return "/v1/hooks/" + id }

// Statuses of a HookDelivery.
const (
	DeliveryDeploying = "deploying" // the deploy runs
	DeliveryDeployed  = "deployed"  // the pushed commit serves
	DeliveryFailed    = "failed"    // the deploy failed; the previous version serves
	// DeliverySuperseded: a newer push to the branch arrived before the
	// deploy started; that one deploys instead.
	DeliverySuperseded = "superseded"
)

// HookDelivery is one push a hook accepted, and its deploy.
type HookDelivery struct {
	// ID is the sender's delivery ID (X-GitHub-Delivery): one ID deploys
	// once, however often it is delivered.
	ID   string `json:"id"`
	Hook string `json:"hook"`
	// DeployID names the deploy the delivery started.
	DeployID   string     `json:"deploy_id"`
	Ref        string     `json:"ref"`
	Commit     string     `json:"commit"`
	Status     string     `json:"status"`
	Error      string     `json:"error,omitempty"`
	ReceivedAt time.Time  `json:"received_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// HookRequest registers a hook.
type HookRequest struct {
	Project    string
	Repository string
	Branch     string
	Subdir     string
	// Secret signs the deliveries ("": one is generated).
	Secret string
	// Token authenticates the https clones of a private repository; it
	// is stored sealed with the secret.
	Token string
}

// HookStore persists hooks, their sealed secrets and their deliveries.
type HookStore interface {
	// CreateHook stores h with its secret as sealed (encrypted) bytes.
	CreateHook(ctx context.Context, h *Hook, sealedSecret []byte) error
	// FindHook returns the hook and its sealed secret; ENOTFOUND.
	FindHook(ctx context.Context, id string) (*Hook, []byte, error)
	// ListHooks returns every hook with its last delivery, oldest first.
	ListHooks(ctx context.Context) ([]*Hook, error)
	// DeleteHook removes the hook and its deliveries; ENOTFOUND.
	DeleteHook(ctx context.Context, id string) error
	// AddDelivery records d unless the hook has a delivery of that ID
	// already: then it returns that one and false.
	AddDelivery(ctx context.Context, d *HookDelivery) (*HookDelivery, bool, error)
	// FinishDelivery records how a delivery's deploy ended.
	FinishDelivery(ctx context.Context, hook, id, status, message string) error
}

// HookResult answers a delivery: what the hook did with it.
type HookResult struct {
	// Accepted is true when the delivery started a deploy (now or, for a
	// repeated delivery ID, before).
	Accepted bool          `json:"accepted"`
	Message  string        `json:"message"`
	Delivery *HookDelivery `json:"delivery,omitempty"`
}

// HookService registers hooks and acts on their deliveries.
type HookService interface {
	// CreateHook registers a hook; it returns the hook and its secret,
	// which is shown this once.
	CreateHook(ctx context.Context, req HookRequest) (*Hook, string, error)
	ListHooks(ctx context.Context) ([]*Hook, error)
	DeleteHook(ctx context.Context, id string) error
	// Deliver verifies and acts on one delivery to hook id: EUNAUTHORIZED
	// without a signature, EFORBIDDEN with a wrong one. A push to the
	// tracked branch starts a deploy of its commit in the background;
	// anything else is answered, not acted on.
	Deliver(ctx context.Context, id string, d Delivery) (*HookResult, error)
}

// Delivery is a webhook request as it arrived.
type Delivery struct {
	ID        string // X-GitHub-Delivery
	Event     string // X-GitHub-Event ("" is taken as push)
	Signature string // X-Hub-Signature-256
	Body      []byte // the raw body, as signed
}
