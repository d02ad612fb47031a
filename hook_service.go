package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
)

// HookDeployFunc deploys hook h's project from src (the pushed commit).
type HookDeployFunc func(ctx context.Context, h *Hook, src GitSource) error

// HookManager implements HookService. Deploys run in the background, one
// per accepted delivery; Close ends them and waits.
type HookManager struct {
	Store HookStore
	Box   *SecretBox
	// Deploy deploys a hook's project (GitDeploy).
	Deploy HookDeployFunc
	Logger *slog.Logger
	// DeployTimeout bounds one delivery's deploy, clone included.
	DeployTimeout time.Duration
	// Now is the clock (tests set it).
	Now func() time.Time

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running map[string]*hookQueue // by hook ID: a deploy runs
}

var _ HookService = (*HookManager)(nil)

// NewHookManager returns a manager with defaults; Open it before use.
func NewHookManager(store HookStore, box *SecretBox, deploy HookDeployFunc) *HookManager {
	return &HookManager{Store: store, Box: box, Deploy: deploy, Logger: slog.Default(), DeployTimeout: 30 * time.Minute, Now: time.Now}
}

// GitDeploy deploys a hook's project from the pushed tree: the project
// its lambda.yaml declares (which must be the hook's), or else the single
// function of the hook's project name.
func GitDeploy(g GitDeployer) HookDeployFunc {
	return func(ctx context.Context, h *Hook, src GitSource) error {
		_, err := g.DeployGit(ctx, DeployRequest{Name: h.Project, Git: &src}, h.Project)
		return err
	}
}

// Open readies the manager to start deploys.
func (m *HookManager) Open(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return nil
}

// Close cancels the deploys that run and waits for them until ctx ends.
func (m *HookManager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.cancel != nil {
		m.cancel()
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hooks: deploys still running at shutdown: %w", ctx.Err())
	}
}

// Limits of a hook's fields.
const maxHookSecret = 256

// CreateHook implements HookService.
func (m *HookManager) CreateHook(ctx context.Context, req HookRequest) (*Hook, string, error) {
	if err := ValidateProjectName(req.Project); err != nil {
		return nil, "", err
	}
	if req.Branch == "" {
		req.Branch = "main"
	}
	req.Branch = strings.TrimPrefix(req.Branch, "refs/heads/")
	src := GitSource{URL: req.Repository, Ref: req.Branch, Subdir: req.Subdir, Token: req.Token}
	if err := src.Validate(); err != nil {
		return nil, "", err
	}
	// The URL is stored without its user information: a user there (often
	// a token written as one) would be silently lost to the hook's clones.
	if u, err := url.Parse(req.Repository); err == nil && u.User != nil && req.Token == "" {
		return nil, "", Errorf(EINVALID, "git URL %q carries a user name, which a hook does not store: remove it, and pass a private repository's token with --git-token (stored sealed)", RedactURL(req.Repository))
	}
	secret := req.Secret
	switch {
	case secret == "":
		secret = NewHookSecret()
	case len(secret) < 16 || len(secret) > maxHookSecret:
		return nil, "", Errorf(EINVALID, "a hook secret must be 16 to %d characters: leave it out to have one generated", maxHookSecret)
	}
	h := &Hook{
		ID:         NewHookID(),
		Project:    req.Project,
		Repository: RedactURL(req.Repository),
		Branch:     req.Branch,
		Subdir:     src.CleanSubdir(),
		CreatedAt:  m.Now().UTC(),
	}
	if err := m.Store.CreateHook(ctx, h, m.Box.sealHook(h.ID, hookSealed{Secret: secret, Token: req.Token})); err != nil {
		return nil, "", err
	}
	m.Logger.Info("hook created", "hook", h.ID, "project", h.Project, "repository", h.Repository, "branch", h.Branch)
	return h, secret, nil
}

// ListHooks implements HookService.
func (m *HookManager) ListHooks(ctx context.Context) ([]*Hook, error) { return m.Store.ListHooks(ctx) }

// DeleteHook implements HookService.
func (m *HookManager) DeleteHook(ctx context.Context, id string) error {
	if err := m.Store.DeleteHook(ctx, id); err != nil {
		return err
	}
	m.Logger.Info("hook deleted", "hook", id)
	return nil
}

// Deliver implements HookService.
func (m *HookManager) Deliver(ctx context.Context, id string, d Delivery) (*HookResult, error) {
	h, sealed, err := m.Store.FindHook(ctx, id)
	if err != nil {
		return nil, err
	}
	opened, err := m.Box.openHook(h.ID, sealed)
	if err != nil {
		return nil, err
	}
	own := *h // the deploy keeps it; a store may hand out shared values
	own.token, h = opened.Token, &own
	if err := VerifySignature([]byte(opened.Secret), d.Body, d.Signature); err != nil {
		m.Logger.Warn("hook delivery refused", "hook", h.ID, "delivery", d.ID, "why", ErrorMessage(err))
		return nil, err
	}
	switch d.Event {
	case "ping":
		return &HookResult{Message: "pong: the hook is set up; pushes to " + h.Branch + " deploy " + h.Project}, nil
	case "", "push":
	default:
		m.Logger.Info("hook delivery ignored", "hook", h.ID, "delivery", d.ID, "event", d.Event)
		return &HookResult{Message: fmt.Sprintf("event %q ignored: the hook deploys on push", d.Event)}, nil
	}
	push, err := ParsePush(d.Body)
	if err != nil {
		return nil, err
	}
	if push.Branch() != h.Branch || push.Deleted {
		why := fmt.Sprintf("push to %s ignored: the hook deploys pushes to branch %s", push.Ref, h.Branch)
		if push.Deleted {
			why = fmt.Sprintf("push that deleted %s ignored: there is nothing to deploy", push.Ref)
		}
		m.Logger.Info("hook delivery ignored", "hook", h.ID, "delivery", d.ID, "ref", push.Ref, "why", why)
		return &HookResult{Message: why}, nil
	}
	if d.ID == "" || len(d.ID) > 128 {
		return nil, Errorf(EINVALID, "the delivery has no X-GitHub-Delivery ID (up to 128 characters): it makes a repeated delivery deploy once")
	}
	del := &HookDelivery{ID: d.ID, Hook: h.ID, DeployID: NewDeployID(), Ref: push.Ref, Commit: push.After, Status: DeliveryDeploying, ReceivedAt: m.Now().UTC()}
	existing, added, err := m.Store.AddDelivery(ctx, del)
	if err != nil {
		return nil, err
	}
	if !added {
		m.Logger.Info("hook delivery repeated", "hook", h.ID, "delivery", d.ID, "deploy", existing.DeployID)
		return &HookResult{Accepted: true, Message: "delivery " + d.ID + " was received before: its deploy " + existing.DeployID + " is not started again", Delivery: existing}, nil
	}
	if err := m.start(h, del); err != nil {
		_ = m.Store.FinishDelivery(context.WithoutCancel(ctx), h.ID, del.ID, DeliveryFailed, ErrorMessage(err))
		return nil, err
	}
	m.Logger.Info("hook deploy started", "hook", h.ID, "delivery", d.ID, "deploy", del.DeployID, "project", h.Project, "commit", del.Commit)
	return &HookResult{Accepted: true, Message: fmt.Sprintf("deploying %s at %s (deploy %s)", h.Project, ShortCommit(del.Commit), del.DeployID), Delivery: del}, nil
}

// start runs del's deploy in the background. A hook's deploys run one at
// a time, in the order their pushes arrived: while one runs, the newest
// delivery waits and replaces an older waiting one (superseded), so a
// burst of pushes deploys the last commit and never an older one last.
func (m *HookManager) start(h *Hook, del *HookDelivery) error {
	superseded, err := m.enqueue(h, del)
	if superseded != nil {
		m.finish(context.Background(), h, superseded, DeliverySuperseded, "superseded by delivery "+del.ID+" (commit "+ShortCommit(del.Commit)+") before it started")
	}
	return err
}

// enqueue starts del's deploy, or makes it the next one of its hook; it
// returns the waiting delivery del replaces, if any.
func (m *HookManager) enqueue(h *Hook, del *HookDelivery) (*HookDelivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx == nil || m.ctx.Err() != nil {
		return nil, Errorf(EUNAVAILABLE, "the server is shutting down: deliver the push again later")
	}
	if m.running == nil {
		m.running = make(map[string]*hookQueue)
	}
	if q, ok := m.running[h.ID]; ok {
		old := q.next
		q.next = del
		return old, nil
	}
	m.running[h.ID] = &hookQueue{}
	m.wg.Add(1)
	ctx := m.ctx
	go func() {
		defer m.wg.Done()
		for del != nil {
			m.run(ctx, h, del)
			m.mu.Lock()
			q := m.running[h.ID]
			del, q.next = q.next, nil
			if del == nil {
				delete(m.running, h.ID)
			}
			m.mu.Unlock()
		}
	}()
	return nil, nil
}

// hookQueue is the delivery waiting for a hook's running deploy.
type hookQueue struct {
	next *HookDelivery
}

func (m *HookManager) run(ctx context.Context, h *Hook, del *HookDelivery) {
	ctx, cancel := context.WithTimeout(ctx, m.DeployTimeout)
	defer cancel()
	// The pushed commit, not the branch's tip by the time the clone runs;
	// the version records the branch as its ref.
	src := GitSource{URL: h.Repository, Ref: h.Branch, Commit: del.Commit, Subdir: h.Subdir, Token: h.token}
	err := m.Deploy(ctx, h, src)
	status, message := DeliveryDeployed, ""
	if err != nil {
		status, message = DeliveryFailed, ErrorMessage(err)
		if ErrorCode(err) == EINTERNAL || errors.Is(err, context.Canceled) {
			m.Logger.Error("hook deploy failed", "hook", h.ID, "delivery", del.ID, "deploy", del.DeployID, "err", err)
		} else {
			m.Logger.Warn("hook deploy failed", "hook", h.ID, "delivery", del.ID, "deploy", del.DeployID, "err", message)
		}
	} else {
		m.Logger.Info("hook deploy done", "hook", h.ID, "delivery", del.ID, "deploy", del.DeployID, "project", h.Project, "commit", del.Commit)
	}
	m.finish(ctx, h, del, status, message)
}

// finish records how del ended, even when the server stops: the deploy's
// end is news.
func (m *HookManager) finish(ctx context.Context, h *Hook, del *HookDelivery, status, message string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := m.Store.FinishDelivery(ctx, h.ID, del.ID, status, message); err != nil {
		m.Logger.Error("hook delivery: record result", "hook", h.ID, "delivery", del.ID, "err", err)
	}
}
