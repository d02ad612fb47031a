package engine_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/cron"
	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/manifest"
	"github.com/lambdahq/lambda/sqlite"
)

const shopYAML = `project: shop
runtime: node
env: {STAGE: prod}
functions:
  api:     {handler: functions.api}
  report:  {handler: functions.report, schedule: "0 8 * * 1-5"}
  resize:  {handler: functions.resize, memory: 512m, max_retries: 1}
`

// projectBuilder is the fake builder, failing the build of one handler.
type projectBuilder struct {
	fakeBuilder
	failHandler string
	contexts    atomic.Int64 // build contexts made
}

// ResolveConfig resolves as BuildContext does, so that unchanged
// functions are told.
func (b *projectBuilder) ResolveConfig(dir string, cfg lambda.Config) (lambda.Config, error) {
	cfg.Runtime, cfg.Protocol = lambda.RuntimeGo, lambda.ProtocolHTTP
	return cfg, nil
}

func (b *projectBuilder) BuildContext(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (lambda.Config, io.ReadCloser, error) {
	b.contexts.Add(1)
	if cfg.Handler != "" && cfg.Handler == b.failHandler {
		return cfg, nil, lambda.Errorf(lambda.EINVALID, "handler %s: no such export", cfg.Handler)
	}
	got, rc, err := b.fakeBuilder.BuildContext(ctx, dir, cfg, out)
	got.Handler = cfg.Handler
	return got, rc, err
}

// failingDriver fails the instances of one function to start.
type failingDriver struct {
	*drivertest.Fake
	fail string
}

func (d *failingDriver) StartInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if spec.Function == d.fail {
		return nil, lambda.Errorf(lambda.EINVALID, "Runtime.HandlerNotFound: %s is undefined or not exported", spec.Function)
	}
	return d.Fake.StartInstance(ctx, spec)
}

type projectEnv struct {
	*env
	builder *projectBuilder
	driver  *failingDriver
	sched   *sqlite.ScheduleStore
	yaml    string
}

// newProjectEnv is an engine whose uploads are a tree holding p.yaml.
// setup, if any, runs before the engine opens, to swap its parts.
func newProjectEnv(t *testing.T, setup ...func(*projectEnv)) *projectEnv {
	t.Helper()
	p := &projectEnv{builder: &projectBuilder{}, yaml: shopYAML}
	fake := drivertest.NewFake()
	p.driver = &failingDriver{Fake: fake}
	p.env = newEnvWithSetup(t, fake, filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Driver = p.driver
		e.eng.Builder = p.builder
		e.eng.Manifests = manifest.Reader{}
		p.sched = sqlite.NewScheduleStore(e.db)
		e.eng.Schedules = lambda.NewScheduleManager(p.sched, cron.Parser{})
		e.eng.Extract = func(r io.Reader, dest string) (string, error) {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return "", err
			}
			return "c0de" + p.yaml, os.WriteFile(filepath.Join(dest, manifest.FileName), []byte(p.yaml), 0o644)
		}
		p.env = e
		for _, f := range setup {
			f(p)
		}
	})
	return p
}

func (p *projectEnv) deploy(req lambda.ProjectDeployRequest) (*lambda.ProjectDeployment, *progress, error) {
	pr := &progress{}
	req.Code, req.Progress = bytes.NewReader(nil), pr
	d, err := p.eng.DeployProject(context.Background(), req)
	return d, pr, err
}

// versions returns the active version of each function, 0 for none.
func (p *projectEnv) versions(t *testing.T, names ...string) []int {
	t.Helper()
	var out []int
	for _, n := range names {
		fn, err := p.store.FindFunction(context.Background(), n)
		switch {
		case lambda.ErrorCode(err) == lambda.ENOTFOUND:
			out = append(out, 0)
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, fn.ActiveVersion)
		}
	}
	return out
}

func TestDeployProject(t *testing.T) {
	p := newProjectEnv(t)
	d, pr, err := p.deploy(lambda.ProjectDeployRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Project != "shop" || len(d.Functions) != 3 {
		t.Fatalf("deployment %+v", d)
	}
	for i, want := range []struct {
		name, handler string
		mem           int64
	}{{"api", "functions.api", 256 << 20}, {"report", "functions.report", 256 << 20}, {"resize", "functions.resize", 512 << 20}} {
		f := d.Functions[i]
		if f.Name != want.name || f.Project != "shop" || !f.Changed || f.ActiveVersion != 1 || f.Active.Config.Handler != want.handler ||
			f.Active.Config.MemoryBytes != want.mem || f.Active.Config.Env["STAGE"] != "prod" {
			t.Errorf("function %d = %+v / %+v", i, f.Function, f.Active)
		}
		img, ok := p.driver.Image(ImageTag(want.name, 1))
		if !ok || img.Labels[lambda.LabelFunction] != want.name {
			t.Errorf("image of %s: %+v", want.name, img)
		}
	}
	if mr := d.Functions[2].Scaling.MaxRetries; mr == nil || *mr != 1 {
		t.Errorf("resize max_retries = %d", mr)
	}
	if s := d.Functions[1].Schedules; len(s) != 1 || s[0].Cron != "0 8 * * 1-5" || s[0].Function != "report" {
		t.Errorf("report's schedules %+v", s)
	}
	wantSteps := []string{`Unpacking project "shop" (3 functions, 3 to publish)`,
		`Building image "func-api" (function api)`, `Building image "func-report" (function report)`, `Building image "func-resize" (function resize)`,
		"Starting function api", "Starting function report", "Starting function resize", "Switching 3 functions to their new versions"}
	if !slices.Equal(pr.steps, wantSteps) {
		t.Errorf("steps %q\nwant  %q", pr.steps, wantSteps)
	}
	// Three handlers: three build contexts; none shared.
	if strings.Contains(pr.logs.String(), "Same build inputs") {
		t.Errorf("contexts of distinct handlers shared: %s", pr.logs.String())
	}
	for _, n := range []string{"api", "report", "resize"} {
		p.call(t, n)
	}

	// The same tree again publishes nothing and keeps the schedule.
	d, _, err = p.deploy(lambda.ProjectDeployRequest{Project: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.Functions {
		if f.Changed || f.ActiveVersion != 1 {
			t.Errorf("redeploy of %s: changed %v, version %d", f.Name, f.Changed, f.ActiveVersion)
		}
	}
	if s := d.Functions[1].Schedules; len(s) != 1 || !s[0].Existed {
		t.Errorf("report's schedules on redeploy %+v", s)
	}
	list, err := p.store.ListFunctions(context.Background())
	if err != nil || len(list) != 3 {
		t.Fatalf("functions %d, %v", len(list), err)
	}
}

// ImageTag is the tag of a function's version image.
func ImageTag(fn string, n int) string { return "func-" + fn + ":v" + string(rune('0'+n)) }

// One function that fails to build, or to start, switches none: every
// function keeps its version, the new images are gone, no schedule is
// created.
func TestDeployProjectAllOrNothing(t *testing.T) {
	p := newProjectEnv(t)
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); err != nil {
		t.Fatal(err)
	}
	p.yaml = strings.Replace(shopYAML, "STAGE: prod", "STAGE: next", 1) + "  extra:   {handler: functions.extra, schedule: '@daily'}\n"

	for _, tt := range []struct{ name, buildFail, startFail, want string }{
		{"build", "functions.report", "", `function "report" did not build: handler functions.report: no such export; nothing was deployed: the previous versions keep serving`},
		{"warm-up", "", "resize", `function "resize" did not start: Runtime.HandlerNotFound: resize is undefined or not exported; nothing was deployed: the previous versions keep serving`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p.builder.failHandler, p.driver.fail = tt.buildFail, tt.startFail
			_, _, err := p.deploy(lambda.ProjectDeployRequest{})
			if err == nil || !strings.HasPrefix(lambda.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
			if v := p.versions(t, "api", "report", "resize", "extra"); !slices.Equal(v, []int{1, 1, 1, 0}) {
				t.Errorf("active versions %v, want [1 1 1 0]", v)
			}
			for _, n := range []string{"api", "report", "resize", "extra"} {
				if _, ok := p.driver.Image(ImageTag(n, 2)); ok && n != "extra" {
					t.Errorf("image %s left behind", ImageTag(n, 2))
				}
				if _, ok := p.driver.Image(ImageTag("extra", 1)); ok {
					t.Errorf("image of the new function left behind")
				}
			}
			if list, _ := p.sched.ListSchedules(context.Background(), "extra"); len(list) != 0 {
				t.Errorf("schedules of a failed deploy: %+v", list)
			}
			for _, n := range []string{"api", "report", "resize"} {
				p.call(t, n) // still served
			}
		})
	}

	p.builder.failHandler, p.driver.fail = "", ""
	d, _, err := p.deploy(lambda.ProjectDeployRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if v := p.versions(t, "api", "report", "resize", "extra"); !slices.Equal(v, []int{2, 2, 2, 1}) || len(d.Functions) != 4 {
		t.Errorf("after the fix: versions %v", v)
	}
}

func TestDeployProjectOnlyAndPrune(t *testing.T) {
	p := newProjectEnv(t)
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); err != nil {
		t.Fatal(err)
	}
	p.yaml = strings.Replace(shopYAML, "STAGE: prod", "STAGE: next", 1)
	d, _, err := p.deploy(lambda.ProjectDeployRequest{Only: []string{"report", "api"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Functions) != 2 || d.Functions[0].Name != "api" || d.Functions[1].Name != "report" {
		t.Errorf("--only deployed %+v", d.Functions)
	}
	if v := p.versions(t, "api", "report", "resize"); !slices.Equal(v, []int{2, 2, 1}) {
		t.Errorf("versions after --only: %v", v)
	}
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{Only: []string{"nope"}}); lambda.ErrorCode(err) != lambda.EINVALID ||
		lambda.ErrorMessage(err) != `--only: project "shop" has no function "nope": its functions are api, report, resize` {
		t.Errorf("--only nope: %v", err)
	}

	// resize is dropped from the manifest: kept without --prune, deleted with it.
	p.yaml = strings.Replace(p.yaml, "  resize:  {handler: functions.resize, memory: 512m, max_retries: 1}\n", "", 1)
	if d, _, err = p.deploy(lambda.ProjectDeployRequest{}); err != nil || d.Pruned != nil {
		t.Fatalf("deploy: %+v, %v", d, err)
	}
	if v := p.versions(t, "resize"); v[0] != 1 {
		t.Errorf("resize deleted without --prune")
	}
	if d, _, err = p.deploy(lambda.ProjectDeployRequest{Prune: true}); err != nil || !slices.Equal(d.Pruned, []string{"resize"}) {
		t.Fatalf("prune: %+v, %v", d, err)
	}
	// Only the manifest changed, not api's or report's settings: they
	// stay at 2.
	if v := p.versions(t, "api", "report", "resize"); !slices.Equal(v, []int{2, 2, 0}) {
		t.Errorf("versions after --prune: %v", v)
	}
}

// Names: --prefix names functions PROJECT-NAME; a function of another
// project, or one deployed on its own, is not taken over.
func TestDeployProjectNames(t *testing.T) {
	p := newProjectEnv(t)
	p.yaml = ""
	p.mustDeploy(t, "api", lambda.Config{})
	p.yaml = shopYAML
	_, _, err := p.deploy(lambda.ProjectDeployRequest{})
	if lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(lambda.ErrorMessage(err), `function "api" exists and was deployed on its own`) {
		t.Fatalf("err = %v", err)
	}
	if v := p.versions(t, "report", "resize"); !slices.Equal(v, []int{0, 0}) {
		t.Errorf("a refused project deployed %v", v)
	}
	d, _, err := p.deploy(lambda.ProjectDeployRequest{Prefix: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Functions[0].Name != "shop-api" || d.Functions[1].Schedules[0].Function != "shop-report" {
		t.Errorf("prefixed: %+v", d.Functions[0].Function)
	}
	p.yaml = strings.Replace(shopYAML, "project: shop", "project: other", 1)
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{Project: "shop"}); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(lambda.ErrorMessage(err), `declares project "other", not "shop"`) {
		t.Errorf("project mismatch: %v", err)
	}
	p.yaml = "project: other\nruntime: node\nfunctions:\n  shop-api: {handler: functions.api}\n"
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(lambda.ErrorMessage(err), `function "shop-api" belongs to project "shop", not "other"`) {
		t.Errorf("another project's function: %v", err)
	}
}

// Functions with the same build inputs (runtime, handler, tree) prepare
// one build context; each still gets its own image.
func TestDeployProjectSharesBuilds(t *testing.T) {
	p := newProjectEnv(t)
	p.yaml = "project: shop\nruntime: node\nhandler: functions.api\nfunctions:\n  eu: {env: {REGION: eu}}\n  us: {env: {REGION: us}}\n  other: {handler: functions.other}\n"
	d, pr, err := p.deploy(lambda.ProjectDeployRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.builder.contexts.Load(); n != 2 {
		t.Errorf("%d build contexts made, want 2 (eu and us share one)", n)
	}
	if !strings.Contains(pr.logs.String(), "Same build inputs as function eu") {
		t.Errorf("log: %s", pr.logs.String())
	}
	eu, _ := p.driver.Image(ImageTag("eu", 1))
	us, ok := p.driver.Image(ImageTag("us", 1))
	if !ok || eu.ID == us.ID || us.Labels[lambda.LabelFunction] != "us" || d.Functions[1].Active.Config.Env["REGION"] != "us" {
		t.Errorf("images eu %+v, us %+v", eu, us)
	}
}

// Concurrent deploys of one project take its functions' locks in the same
// order: both end, one after the other.
func TestDeployProjectConcurrent(t *testing.T) {
	p := newProjectEnv(t)
	errs := make(chan error, 2)
	for _, only := range [][]string{{"resize", "api", "report"}, {"api", "report", "resize"}} {
		go func() {
			_, _, err := p.deploy(lambda.ProjectDeployRequest{Only: only, Force: true})
			errs <- err
		}()
	}
	for range 2 {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(2 * time.Minute):
			t.Fatal("concurrent project deploys did not end: deadlock")
		}
	}
	if v := p.versions(t, "api", "report", "resize"); !slices.Equal(v, []int{2, 2, 2}) {
		t.Errorf("versions %v, want 2 each (two forced deploys)", v)
	}
}

// Editing one entry of the manifest publishes that function alone: the
// others' code and settings are unchanged.
func TestDeployProjectOneEntryChanged(t *testing.T) {
	p := newProjectEnv(t)
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); err != nil {
		t.Fatal(err)
	}
	p.yaml = strings.Replace(shopYAML, "memory: 512m", "memory: 1g", 1)
	d, pr, err := p.deploy(lambda.ProjectDeployRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if v := p.versions(t, "api", "report", "resize"); !slices.Equal(v, []int{1, 1, 2}) {
		t.Errorf("versions %v, want [1 1 2]", v)
	}
	if d.Functions[0].Changed || !d.Functions[2].Changed || d.Functions[2].Active.Config.MemoryBytes != 1<<30 {
		t.Errorf("deployment %+v", d.Functions[2].Active)
	}
	if last := pr.steps[len(pr.steps)-1]; last != "Switching function resize to its new version" {
		t.Errorf("last step %q", last)
	}
}
