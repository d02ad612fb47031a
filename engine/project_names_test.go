package engine_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/sqlite"
)

// A name taken while --prefix is already given: the advice is to delete
// or rename, never to deploy with the --prefix the deploy already has.
func TestDeployProjectConflictAdviceWithPrefix(t *testing.T) {
	p := newProjectEnv(t)
	p.yaml = ""
	p.mustDeploy(t, "shop-api", lambda.Config{})
	p.yaml = shopYAML
	_, _, err := p.deploy(lambda.ProjectDeployRequest{Prefix: true})
	msg := lambda.ErrorMessage(err)
	if lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(msg, `function "shop-api" exists and was deployed on its own`) ||
		strings.Contains(msg, "--prefix") || !strings.Contains(msg, "lambda delete shop-api") {
		t.Errorf("standalone function taken with --prefix: %v", err)
	}

	// Project shop-x's function api and project shop's x-api are both
	// named shop-x-api with --prefix.
	p.yaml = "project: shop-x\nruntime: node\nfunctions:\n  api: {handler: functions.api}\n"
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{Prefix: true}); err != nil {
		t.Fatal(err)
	}
	p.yaml = "project: shop\nruntime: node\nfunctions:\n  x-api: {handler: functions.api}\n"
	_, _, err = p.deploy(lambda.ProjectDeployRequest{Prefix: true})
	msg = lambda.ErrorMessage(err)
	if lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(msg, `function "shop-x-api" belongs to project "shop-x", not "shop"`) ||
		strings.Contains(msg, "--prefix") {
		t.Errorf("another project's function with --prefix: %v", err)
	}
}

// blockingBuilder holds the first build until released.
type blockingBuilder struct {
	*projectBuilder
	once          sync.Once
	held, release chan struct{}
}

func (b *blockingBuilder) BuildContext(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (lambda.Config, io.ReadCloser, error) {
	b.once.Do(func() {
		close(b.held)
		<-b.release
	})
	return b.projectBuilder.BuildContext(ctx, dir, cfg, out)
}

// findSignal tells each FindFunction of name once it answered.
type findSignal struct {
	*sqlite.FunctionStore
	name  string
	found chan struct{}
}

func (s *findSignal) FindFunction(ctx context.Context, name string) (*lambda.Function, error) {
	fn, err := s.FunctionStore.FindFunction(ctx, name)
	if name == s.name {
		select {
		case s.found <- struct{}{}:
		default:
		}
	}
	return fn, err
}

// Two projects that both create function x at once: the one that waited
// for x's lock finds x taken by the other and is refused; it does not take
// the function over (its ownership is checked again under the lock).
func TestDeployProjectsRaceForOneName(t *testing.T) {
	var b *blockingBuilder
	var found *findSignal
	p := newProjectEnv(t, func(p *projectEnv) {
		b = &blockingBuilder{projectBuilder: p.builder, held: make(chan struct{}), release: make(chan struct{})}
		p.eng.Builder = b
		found = &findSignal{FunctionStore: p.store, name: "x", found: make(chan struct{}, 1)}
		p.eng.Store = found
	})

	p.yaml = "project: a\nruntime: node\nfunctions:\n  x: {handler: functions.x}\n"
	errA := make(chan error, 1)
	go func() { _, _, err := p.deploy(lambda.ProjectDeployRequest{}); errA <- err }()
	<-found.found // a's plan
	<-b.held      // a builds, holding x's lock

	p.yaml = "project: b\nruntime: node\nfunctions:\n  x: {handler: functions.x}\n"
	errB := make(chan error, 1)
	go func() { _, _, err := p.deploy(lambda.ProjectDeployRequest{}); errB <- err }()
	<-found.found // b's plan found no x
	close(b.release)
	if err := <-errA; err != nil {
		t.Fatalf("a: %v", err)
	}
	err := <-errB
	if lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(lambda.ErrorMessage(err), `function "x" belongs to project "a", not "b"`) {
		t.Errorf("b: %v, want the conflict", err)
	}
	fn, ferr := p.store.FindFunction(context.Background(), "x")
	if ferr != nil || fn.Project != "a" || fn.ActiveVersion != 1 {
		t.Errorf("x after both: %+v, %v; want project a's version 1", fn, ferr)
	}
}

// One entry's invalid schedule refuses the whole project before anything
// is built: no function, image or schedule is created.
func TestDeployProjectBadScheduleDeploysNothing(t *testing.T) {
	p := newProjectEnv(t)
	p.yaml = strings.Replace(shopYAML, `schedule: "0 8 * * 1-5"`, `schedule: "0 8 * * 1-9"`, 1)
	_, _, err := p.deploy(lambda.ProjectDeployRequest{})
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(lambda.ErrorMessage(err), "1-9") {
		t.Fatalf("err = %v", err)
	}
	if n := p.builder.contexts.Load(); n != 0 {
		t.Errorf("%d build contexts made", n)
	}
	list, err := p.store.ListFunctions(context.Background())
	if err != nil || len(list) != 0 {
		t.Errorf("functions %d, %v", len(list), err)
	}
	if s, _ := p.sched.ListSchedules(context.Background(), ""); len(s) != 0 {
		t.Errorf("schedules %+v", s)
	}
}

// A project of 200 functions deploys in one step, each its own function,
// and a second deploy of the same tree publishes none.
func TestDeployProjectOf200Functions(t *testing.T) {
	p := newProjectEnv(t)
	var b strings.Builder
	b.WriteString("project: big\nruntime: node\nhandler: functions.api\nfunctions:\n")
	for i := range 200 {
		fmt.Fprintf(&b, "  f%03d: {}\n", i)
	}
	p.yaml = b.String()
	d, _, err := p.deploy(lambda.ProjectDeployRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Functions) != 200 || d.Functions[199].Name != "f199" || !d.Functions[199].Changed {
		t.Fatalf("%d functions deployed", len(d.Functions))
	}
	if d, _, err = p.deploy(lambda.ProjectDeployRequest{}); err != nil || slices.ContainsFunc(d.Functions, func(f *lambda.Deployment) bool { return f.Changed }) {
		t.Errorf("redeploy: %v", err)
	}
}
