package lambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// memHooks is an in-memory lambda.HookStore.
type memHooks struct {
	mu         sync.Mutex
	hooks      map[string]*lambda.Hook
	sealed     map[string][]byte
	deliveries map[string]*lambda.HookDelivery // hook/id
	finished   chan *lambda.HookDelivery
}

func newMemHooks() *memHooks {
	return &memHooks{hooks: map[string]*lambda.Hook{}, sealed: map[string][]byte{}, deliveries: map[string]*lambda.HookDelivery{}, finished: make(chan *lambda.HookDelivery, 10)}
}

func (s *memHooks) CreateHook(_ context.Context, h *lambda.Hook, sealed []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[h.ID], s.sealed[h.ID] = h, sealed
	return nil
}

func (s *memHooks) FindHook(_ context.Context, id string) (*lambda.Hook, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	if !ok {
		return nil, nil, lambda.Errorf(lambda.ENOTFOUND, "hook %q not found", id)
	}
	return h, s.sealed[id], nil
}

func (s *memHooks) ListHooks(context.Context) ([]*lambda.Hook, error) { return nil, nil }
func (s *memHooks) DeleteHook(context.Context, string) error          { return nil }

func (s *memHooks) AddDelivery(_ context.Context, d *lambda.HookDelivery) (*lambda.HookDelivery, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.deliveries[d.Hook+"/"+d.ID]; ok {
		return old, false, nil
	}
	c := *d
	s.deliveries[d.Hook+"/"+d.ID] = &c
	return d, true, nil
}

func (s *memHooks) FinishDelivery(_ context.Context, hook, id, status, message string) error {
	s.mu.Lock()
	d := s.deliveries[hook+"/"+id]
	d.Status, d.Error = status, message
	c := *d
	s.mu.Unlock()
	s.finished <- &c
	return nil
}

func TestHookDeliver(t *testing.T) {
	key := make([]byte, lambda.HookKeySize)
	box, err := lambda.NewSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	store := newMemHooks()
	deploys := make(chan lambda.GitSource, 10)
	m := lambda.NewHookManager(store, box, func(_ context.Context, h *lambda.Hook, src lambda.GitSource) error {
		deploys <- src
		if strings.HasPrefix(src.Commit, "bad") {
			return lambda.Errorf(lambda.EINVALID, "build failed")
		}
		return nil
	})
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	h, secret, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "shop", Repository: "https://tok@example.com/shop.git", Token: "tok", Branch: "main", Subdir: "app/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 64 || h.Repository != "https://example.com/shop.git" || h.Subdir != "app" {
		t.Fatalf("hook %+v, secret %q", h, secret)
	}
	if strings.Contains(string(store.sealed[h.ID]), secret) {
		t.Fatal("the secret is stored in plain text")
	}
	commit := strings.Repeat("a1", 20)
	bad := "bad" + strings.Repeat("0", 37)
	push := func(ref, after string) []byte {
		return fmt.Appendf(nil, `{"ref":%q,"after":%q,"repository":{"clone_url":"x"}}`, ref, after)
	}
	sign := func(b []byte) string { return lambda.Sign([]byte(secret), b) }
	body := push("refs/heads/main", commit)

	tests := []struct {
		name     string
		d        lambda.Delivery
		code     string // error code, "" for an answer
		accepted bool
		phrase   string
	}{
		{"no signature", lambda.Delivery{ID: "d0", Event: "push", Body: body}, lambda.EUNAUTHORIZED, false, "no X-Hub-Signature-256"},
		{"wrong signature", lambda.Delivery{ID: "d0", Event: "push", Body: body, Signature: lambda.Sign([]byte("other"), body)}, lambda.EFORBIDDEN, false, "does not match"},
		{"malformed signature", lambda.Delivery{ID: "d0", Event: "push", Body: body, Signature: "sha1=abc"}, lambda.EFORBIDDEN, false, "64 hex digits"},
		{"signature of another body", lambda.Delivery{ID: "d0", Event: "push", Body: push("refs/heads/main", bad), Signature: sign(body)}, lambda.EFORBIDDEN, false, "does not match"},
		{"ping", lambda.Delivery{ID: "p", Event: "ping", Body: []byte(`{}`), Signature: sign([]byte(`{}`))}, "", false, "pong"},
		{"other branch", lambda.Delivery{ID: "d1", Event: "push", Body: push("refs/heads/dev", commit), Signature: sign(push("refs/heads/dev", commit))}, "", false, "ignored: the hook deploys pushes to branch main"},
		{"tag", lambda.Delivery{ID: "d2", Event: "push", Body: push("refs/tags/v1", commit), Signature: sign(push("refs/tags/v1", commit))}, "", false, "ignored"},
		{"deleted branch", lambda.Delivery{ID: "d3", Event: "push", Body: push("refs/heads/main", strings.Repeat("0", 40)), Signature: sign(push("refs/heads/main", strings.Repeat("0", 40)))}, "", false, "deleted"},
		{"no delivery ID", lambda.Delivery{Event: "push", Body: body, Signature: sign(body)}, lambda.EINVALID, false, "X-GitHub-Delivery"},
		{"not JSON", lambda.Delivery{ID: "d4", Event: "push", Body: []byte("ref=x"), Signature: sign([]byte("ref=x"))}, lambda.EINVALID, false, "not a JSON object"},
		{"push", lambda.Delivery{ID: "d5", Event: "push", Body: body, Signature: sign(body)}, "", true, "deploying shop at a1a1a1a1a1a1"},
		{"repeated push", lambda.Delivery{ID: "d5", Event: "push", Body: body, Signature: sign(body)}, "", true, "received before"},
	}
	for _, tt := range tests {
		res, err := m.Deliver(context.Background(), h.ID, tt.d)
		if tt.code != "" {
			if lambda.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.phrase) {
				t.Errorf("%s: err = %v, want %s containing %q", tt.name, err, tt.code, tt.phrase)
			}
			continue
		}
		if err != nil || res.Accepted != tt.accepted || !strings.Contains(res.Message, tt.phrase) {
			t.Errorf("%s: %+v, %v; want accepted %v and %q", tt.name, res, err, tt.accepted, tt.phrase)
		}
	}
	// Exactly one deploy, of the pushed commit in the hook's directory.
	select {
	case src := <-deploys:
		// The pushed commit, pinned; the branch is the version's ref.
		if src.Commit != commit || src.Ref != "main" || src.URL != "https://example.com/shop.git" || src.Subdir != "app" {
			t.Errorf("deployed %+v", src)
		}
	case <-time.After(time.Minute):
		t.Fatal("no deploy")
	}
	if d := <-store.finished; d.Status != lambda.DeliveryDeployed {
		t.Errorf("delivery %+v, want deployed", d)
	}
	select {
	case src := <-deploys:
		t.Fatalf("a second deploy %+v", src)
	default:
	}
	// A failed deploy is recorded with its message.
	b := push("refs/heads/main", bad)
	if res, err := m.Deliver(context.Background(), h.ID, lambda.Delivery{ID: "d6", Body: b, Signature: sign(b)}); err != nil || !res.Accepted {
		t.Fatalf("push of %s: %+v, %v", bad, res, err)
	}
	<-deploys
	if d := <-store.finished; d.Status != lambda.DeliveryFailed || d.Error != "build failed" {
		t.Errorf("delivery %+v, want failed with the deploy's message", d)
	}
	bad = strings.Repeat("b", 40)
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deliver(context.Background(), h.ID, lambda.Delivery{ID: "d7", Body: push("refs/heads/main", bad), Signature: sign(push("refs/heads/main", bad))}); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Errorf("delivery after Close: %v, want EUNAVAILABLE", err)
	}
	if _, err := m.Deliver(context.Background(), "hk_nope", lambda.Delivery{}); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("unknown hook: %v", err)
	}
}

func TestSecretBox(t *testing.T) {
	box, _ := lambda.NewSecretBox(make([]byte, 32))
	sealed := box.Seal("hk_1", []byte("s3cret"))
	if got, err := box.Open("hk_1", sealed); err != nil || string(got) != "s3cret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := box.Open("hk_2", sealed); err == nil {
		t.Error("a secret sealed for one hook opened for another")
	}
	other, _ := lambda.NewSecretBox(append(make([]byte, 31), 1))
	if _, err := other.Open("hk_1", sealed); err == nil {
		t.Error("a secret opened with another key")
	}
	if _, err := lambda.NewSecretBox(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

// A hook's deploys run one at a time: a push that arrives while one runs
// waits, and a newer one replaces it, so the last commit is deployed last.
func TestHookDeploysInOrder(t *testing.T) {
	box, _ := lambda.NewSecretBox(make([]byte, lambda.HookKeySize))
	store := newMemHooks()
	started := make(chan string, 10)
	release := make(chan struct{})
	m := lambda.NewHookManager(store, box, func(_ context.Context, _ *lambda.Hook, src lambda.GitSource) error {
		started <- src.Commit
		<-release
		return nil
	})
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m.Open(context.Background())
	defer m.Close(context.Background())
	h, secret, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "shop", Repository: "https://example.com/shop.git"})
	if err != nil {
		t.Fatal(err)
	}
	push := func(id, commit string) {
		t.Helper()
		b := fmt.Appendf(nil, `{"ref":"refs/heads/main","after":%q}`, commit)
		if res, err := m.Deliver(context.Background(), h.ID, lambda.Delivery{ID: id, Body: b, Signature: lambda.Sign([]byte(secret), b)}); err != nil || !res.Accepted {
			t.Fatalf("push %s: %+v, %v", id, res, err)
		}
	}
	c1, c2, c3 := strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("3", 40)
	push("d1", c1)
	if got := <-started; got != c1 {
		t.Fatalf("first deploy of %s", got)
	}
	push("d2", c2) // waits for d1
	push("d3", c3) // replaces d2
	if d := <-store.finished; d.ID != "d2" || d.Status != lambda.DeliverySuperseded || !strings.Contains(d.Error, "d3") {
		t.Errorf("d2 ended %+v, want superseded by d3", d)
	}
	release <- struct{}{}
	if d := <-store.finished; d.ID != "d1" || d.Status != lambda.DeliveryDeployed {
		t.Errorf("d1 ended %+v", d)
	}
	if got := <-started; got != c3 {
		t.Errorf("second deploy of %s, want the last push's %s", got, c3)
	}
	release <- struct{}{}
	if d := <-store.finished; d.ID != "d3" || d.Status != lambda.DeliveryDeployed {
		t.Errorf("d3 ended %+v", d)
	}
	select {
	case got := <-started:
		t.Errorf("a third deploy, of %s", got)
	default:
	}
}

// A hook of a private repository keeps its token sealed with the secret
// and clones with it; a token is refused where it would travel in clear.
func TestHookToken(t *testing.T) {
	box, _ := lambda.NewSecretBox(make([]byte, lambda.HookKeySize))
	store := newMemHooks()
	got := make(chan lambda.GitSource, 1)
	m := lambda.NewHookManager(store, box, func(_ context.Context, _ *lambda.Hook, src lambda.GitSource) error {
		got <- src
		return nil
	})
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m.Open(context.Background())
	defer m.Close(context.Background())
	const token = "ghp_private0123456789"
	if _, _, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "shop", Repository: "http://example.com/shop.git", Token: token}); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("a token over plain http: %v", err)
	}
	h, secret, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "shop", Repository: "https://example.com/shop.git", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(h); strings.Contains(string(b), token) || strings.Contains(string(store.sealed[h.ID]), token) {
		t.Fatal("the token is listed or stored in clear")
	}
	body := fmt.Appendf(nil, `{"ref":"refs/heads/main","after":%q}`, strings.Repeat("c", 40))
	if _, err := m.Deliver(context.Background(), h.ID, lambda.Delivery{ID: "d1", Body: body, Signature: lambda.Sign([]byte(secret), body)}); err != nil {
		t.Fatal(err)
	}
	if src := <-got; src.Token != token {
		t.Errorf("cloned with token %q", src.Token)
	}
	<-store.finished
}

// A hook's project is named as a project in the refusal of a bad name.
func TestCreateHookBadProjectName(t *testing.T) {
	box, _ := lambda.NewSecretBox(make([]byte, lambda.HookKeySize))
	m := lambda.NewHookManager(newMemHooks(), box, func(context.Context, *lambda.Hook, lambda.GitSource) error { return nil })
	_, _, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "Bad Name", Repository: "https://example.com/shop.git"})
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(lambda.ErrorMessage(err), `project name "Bad Name" contains 'B'`) {
		t.Errorf("err = %v", err)
	}
}

// A delivery signed with another hook's secret is refused, even for the
// same project and repository: each hook verifies with its own.
func TestHookRefusesAnotherHooksSignature(t *testing.T) {
	box, _ := lambda.NewSecretBox(make([]byte, lambda.HookKeySize))
	deployed := make(chan lambda.GitSource, 2)
	m := lambda.NewHookManager(newMemHooks(), box, func(_ context.Context, _ *lambda.Hook, src lambda.GitSource) error {
		deployed <- src
		return nil
	})
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	req := lambda.HookRequest{Project: "shop", Repository: "https://example.com/shop.git"}
	a, secretA, err := m.CreateHook(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, secretB, err := m.CreateHook(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if secretA == secretB || a.ID == b.ID {
		t.Fatalf("two hooks share a secret or an ID")
	}
	body := fmt.Appendf(nil, `{"ref":"refs/heads/main","after":%q}`, strings.Repeat("c", 40))
	_, err = m.Deliver(context.Background(), b.ID, lambda.Delivery{ID: "x1", Event: "push", Body: body, Signature: lambda.Sign([]byte(secretA), body)})
	if lambda.ErrorCode(err) != lambda.EFORBIDDEN {
		t.Errorf("hook B with A's signature: %v, want forbidden", err)
	}
	select {
	case src := <-deployed:
		t.Errorf("deployed %+v", src)
	default:
	}
}

// A delivery ID seen before is not deployed again, even with another
// (validly signed) body: deliveries are idempotent by their ID, as
// GitHub's redelivery sends the same ID.
func TestHookReplayWithAnotherBody(t *testing.T) {
	box, _ := lambda.NewSecretBox(make([]byte, lambda.HookKeySize))
	deployed := make(chan lambda.GitSource, 4)
	m := lambda.NewHookManager(newMemHooks(), box, func(_ context.Context, _ *lambda.Hook, src lambda.GitSource) error {
		deployed <- src
		return nil
	})
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	h, secret, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "shop", Repository: "https://example.com/shop.git"})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(after string) *lambda.HookResult {
		t.Helper()
		b := fmt.Appendf(nil, `{"ref":"refs/heads/main","after":%q}`, after)
		res, err := m.Deliver(context.Background(), h.ID, lambda.Delivery{ID: "same", Event: "push", Body: b, Signature: lambda.Sign([]byte(secret), b)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := deliver(strings.Repeat("1", 40))
	second := deliver(strings.Repeat("2", 40))
	if !strings.Contains(second.Message, "received before") || second.Delivery.DeployID != first.Delivery.DeployID || second.Delivery.Commit != strings.Repeat("1", 40) {
		t.Errorf("replay: %+v", second)
	}
	if src := <-deployed; src.Commit != strings.Repeat("1", 40) {
		t.Errorf("deployed %+v", src)
	}
	select {
	case src := <-deployed:
		t.Errorf("the replay deployed %+v", src)
	case <-time.After(100 * time.Millisecond):
	}
}

// A hook's URL is stored without its user information, so its clones
// would go without it: a URL carrying a user (a token written as the user
// name, https://TOKEN@host/…) and no --git-token is refused, not silently
// stripped.
func TestCreateHookURLWithUser(t *testing.T) {
	box, _ := lambda.NewSecretBox(make([]byte, lambda.HookKeySize))
	m := lambda.NewHookManager(newMemHooks(), box, func(context.Context, *lambda.Hook, lambda.GitSource) error { return nil })
	_, _, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "shop", Repository: "https://ghp_secret@github.com/acme/shop.git"})
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(lambda.ErrorMessage(err), "--git-token") || strings.Contains(err.Error(), "ghp_secret") {
		t.Errorf("err = %v", err)
	}
	if _, _, err := m.CreateHook(context.Background(), lambda.HookRequest{Project: "shop", Repository: "https://ghp_secret@github.com/acme/shop.git", Token: "tok"}); err != nil {
		t.Errorf("with a token: %v", err)
	}
}
