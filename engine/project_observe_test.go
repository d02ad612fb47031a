package engine_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/cron"
)

// A project deploy is counted per function as a deploy of each alone:
// published, unchanged, or failed for every selected function when the
// project did not switch (a build that failed, a name refused).
func TestDeployProjectObserved(t *testing.T) {
	p := newProjectEnv(t)
	log := &deployLog{}
	p.eng.DeployObserver = log
	each := func(result string, names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, n+"="+result)
		}
		return out
	}
	check := func(what string, want []string) {
		t.Helper()
		log.mu.Lock()
		got := slices.Clone(log.deploys)
		log.deploys = nil
		log.mu.Unlock()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: observed %v, want %v", what, got, want)
		}
	}
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); err != nil {
		t.Fatal(err)
	}
	check("first deploy", each(lambda.DeployPublished, "api", "report", "resize"))
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); err != nil {
		t.Fatal(err)
	}
	check("same tree", each(lambda.DeployUnchanged, "api", "report", "resize"))

	p.yaml = strings.Replace(shopYAML, "STAGE: prod", "STAGE: next", 1)
	p.builder.failHandler = "functions.report"
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); err == nil {
		t.Fatal("a broken function deployed")
	}
	check("a function failed to build", each(lambda.DeployFailed, "api", "report", "resize"))
	p.builder.failHandler = ""

	p.driver.fail = "resize"
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{Only: []string{"resize"}}); err == nil {
		t.Fatal("a function that cannot start deployed")
	}
	check("--only resize failed to start", each(lambda.DeployFailed, "resize"))
	p.driver.fail = ""

	// Refused before anything was built: a name taken by a function
	// deployed on its own.
	p.yaml = "memory: 128m\n"
	p.mustDeploy(t, "solo", lambda.Config{})
	p.yaml = shopYAML + "  solo:    {handler: functions.solo}\n"
	log.mu.Lock()
	log.deploys = nil
	log.mu.Unlock()
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); lambda.ErrorCode(err) != lambda.ECONFLICT {
		t.Fatalf("a taken name: %v", err)
	}
	check("a name taken", each(lambda.DeployFailed, "api", "report", "resize", "solo"))
}

// Schedules that cannot be created after the switch fail the deploy's
// answer, but the new versions serve: counted as published.
func TestDeployLiveWithoutSchedulesObservedPublished(t *testing.T) {
	t.Run("project", func(t *testing.T) {
		p := newProjectEnv(t)
		log := &deployLog{}
		p.eng.DeployObserver = log
		p.eng.Schedules = lambda.NewScheduleManager(&flakyScheduleStore{ScheduleStore: p.sched, failAt: 1}, cron.Parser{})
		_, _, err := p.deploy(lambda.ProjectDeployRequest{})
		if err == nil || !strings.Contains(lambda.ErrorMessage(err), "are live, but none of their 1 schedules was created") {
			t.Fatalf("err = %v", err)
		}
		if v := p.versions(t, "api", "report", "resize"); !slices.Equal(v, []int{1, 1, 1}) {
			t.Fatalf("versions %v: not live", v)
		}
		slices.Sort(log.deploys)
		if want := []string{"api=published", "report=published", "resize=published"}; !slices.Equal(log.deploys, want) {
			t.Errorf("observed %v, want %v", log.deploys, want)
		}
	})
	t.Run("function", func(t *testing.T) {
		e := newEnv(t)
		log := &deployLog{}
		e.eng.DeployObserver = log
		yaml := twoSchedulesYAML
		withManifests(t, e, &yaml, 2)
		_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "greet", Code: bytes.NewReader(nil), Progress: &progress{}})
		if err == nil || !strings.Contains(lambda.ErrorMessage(err), "is live") {
			t.Fatalf("err = %v", err)
		}
		if want := []string{"greet=published"}; !slices.Equal(log.deploys, want) {
			t.Errorf("observed %v, want %v", log.deploys, want)
		}
	})
}

// deletions records what a DeleteObserver is told.
type deletions struct {
	mu    sync.Mutex
	names []string
}

func (d *deletions) FunctionDeleted(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.names = append(d.names, name)
}

// A function pruned by a project deploy is deleted through the path of
// lambda delete: every DeleteObserver (the stats recorder's clean-up)
// hears of it, as of a function deleted on its own.
func TestPruneTellsDeleteObservers(t *testing.T) {
	p := newProjectEnv(t)
	del := &deletions{}
	p.eng.DeleteObservers = []lambda.DeleteObserver{del}
	if _, _, err := p.deploy(lambda.ProjectDeployRequest{}); err != nil {
		t.Fatal(err)
	}
	p.yaml = strings.Replace(shopYAML, "  resize:  {handler: functions.resize, memory: 512m, max_retries: 1}\n", "", 1)
	if d, _, err := p.deploy(lambda.ProjectDeployRequest{Prune: true}); err != nil || !slices.Equal(d.Pruned, []string{"resize"}) {
		t.Fatalf("prune: %+v, %v", d, err)
	}
	if err := p.eng.Delete(context.Background(), "api"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"resize", "api"}; !slices.Equal(del.names, want) {
		t.Errorf("deletions observed %v, want %v", del.names, want)
	}
}

// A single function deployed by DeployGit (a hook's push) is counted as
// Deploy counts it, refused settings included.
func TestDeployGitFunctionObserved(t *testing.T) {
	e := newEnv(t)
	log := &deployLog{}
	e.eng.DeployObserver = log
	e.eng.Cloner = &fakeCloner{tree: "tree", prov: testProv}
	src := &lambda.GitSource{URL: testProv.Repository, Ref: "v1"}
	if _, err := e.eng.DeployGit(context.Background(), lambda.DeployRequest{Name: "greet", Git: src}, "greet"); err != nil {
		t.Fatal(err)
	}
	bad := lambda.ScalingPatch{MinInstances: ptr(3), MaxInstances: ptr(1)}
	if _, err := e.eng.DeployGit(context.Background(), lambda.DeployRequest{Name: "greet", Git: src, Scaling: bad}, "greet"); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Fatalf("min above max: %v", err)
	}
	if want := []string{"greet=published", "greet=failed"}; !slices.Equal(log.deploys, want) {
		t.Errorf("observed %v, want %v", log.deploys, want)
	}
}
