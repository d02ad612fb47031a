package engine_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// fakeCloner writes tree as the clone's tar.gz bytes (the tests' Extract
// reads them whole) and returns prov, or fails with err.
type fakeCloner struct {
	tree    string
	prov    lambda.Provenance
	err     error
	endless bool // writes until the reader stops it
	got     []lambda.GitSource
}

func (c *fakeCloner) Clone(ctx context.Context, src lambda.GitSource, w io.Writer) (*lambda.Provenance, error) {
	c.got = append(c.got, src)
	if c.err != nil {
		return nil, c.err
	}
	for {
		if _, err := io.WriteString(w, c.tree); err != nil {
			return nil, err
		}
		if !c.endless {
			break
		}
	}
	p := c.prov
	return &p, nil
}

var testProv = lambda.Provenance{Repository: "https://example.com/r.git", Ref: "v1", Commit: strings.Repeat("ab", 20), Subdir: "fn"}

func TestDeployFromGitRecordsProvenance(t *testing.T) {
	e := newEnv(t)
	cl := &fakeCloner{tree: "tree", prov: testProv}
	e.eng.Cloner = cl
	src := &lambda.GitSource{URL: testProv.Repository, Ref: "v1", Subdir: "fn", Token: "tok"}
	p := &progress{}
	d, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "greet", Git: src, Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	if d.Active.Git == nil || *d.Active.Git != testProv {
		t.Errorf("active version's provenance %+v", d.Active.Git)
	}
	if len(cl.got) != 1 || cl.got[0] != *src {
		t.Errorf("cloned %+v", cl.got)
	}
	if len(p.steps) != 3 || p.steps[0] != "Cloning https://example.com/r.git@v1 (fn)" {
		t.Errorf("steps %q", p.steps)
	}
	v, err := e.store.FindVersion(context.Background(), "greet", 1)
	if err != nil || v.Git == nil || v.Git.Commit != testProv.Commit {
		t.Errorf("stored version %+v, %v", v, err)
	}
	// DeployGit: the tree holds no project, so it is the function greet.
	p = &progress{}
	out, err := e.eng.DeployGit(context.Background(), lambda.DeployRequest{Name: "greet", Git: src, Force: true, Progress: p}, "greet")
	if err != nil || out.Project != "" || len(out.Functions) != 1 || out.Functions[0].Active.Number != 2 || out.Functions[0].Active.Git == nil {
		t.Fatalf("DeployGit = %+v, %v", out, err)
	}
	if len(p.steps) != 3 || p.steps[0] != "Cloned https://example.com/r.git@v1 (fn) at abababababab" {
		t.Errorf("DeployGit's steps %q", p.steps)
	}
}

func TestDeployFromGitFailures(t *testing.T) {
	e := newEnv(t)
	src := &lambda.GitSource{URL: "https://example.com/r.git"}
	deploy := func() error {
		_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "greet", Git: src})
		return err
	}
	if err := deploy(); lambda.ErrorCode(err) != lambda.ENOTIMPLEMENTED {
		t.Errorf("no cloner: %v", err)
	}
	e.eng.Cloner = &fakeCloner{err: lambda.Errorf(lambda.ETIMEOUT, "cloning took too long")}
	if err := deploy(); lambda.ErrorCode(err) != lambda.ETIMEOUT {
		t.Errorf("clone failed: %v", err)
	}
	// The extraction refuses the tree (a limit): the clone stops with it,
	// and the extraction's error is the deploy's.
	e.eng.Cloner = &fakeCloner{tree: strings.Repeat("x", 1024), endless: true, prov: testProv}
	e.eng.Extract = func(r io.Reader, dest string) (string, error) {
		if _, err := io.CopyN(io.Discard, r, 1<<20); err != nil {
			return "", err
		}
		return "", lambda.Errorf(lambda.ETOOLARGE, "code archive is too large")
	}
	if err := deploy(); lambda.ErrorCode(err) != lambda.ETOOLARGE {
		t.Errorf("extraction refused the tree: %v", err)
	}
	if _, err := e.store.FindFunction(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("a failed deploy from git created the function: %v", err)
	}
	if _, err := e.eng.DeployGit(context.Background(), lambda.DeployRequest{Name: "greet"}, ""); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("DeployGit without a source: %v", err)
	}

}

// A cloned tree that declares a project deploys the project, each version
// recording the tree's provenance; the project must be the hook's.
func TestDeployGitProject(t *testing.T) {
	p := newProjectEnv(t)
	p.eng.Cloner = &fakeCloner{tree: "tree", prov: testProv}
	src := &lambda.GitSource{URL: testProv.Repository, Ref: "v1"}
	out, err := p.eng.DeployGit(context.Background(), lambda.DeployRequest{Name: "shop", Git: src, Progress: &progress{}}, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if out.Project != "shop" || len(out.Functions) != 3 {
		t.Fatalf("DeployGit = %+v", out)
	}
	for _, d := range out.Functions {
		if d.Active == nil || d.Active.Git == nil || d.Active.Git.Commit != testProv.Commit {
			t.Errorf("%s: provenance %+v", d.Name, d.Active)
		}
	}
	if _, err := p.eng.DeployGit(context.Background(), lambda.DeployRequest{Name: "other", Git: src}, "other"); err == nil {
		t.Error("a hook of project other deployed project shop")
	}
}

// Two clones whose bytes differ (another commit: its time is in every
// entry) but whose files are the same publish nothing the second time.
func TestDeployFromGitUnchangedFiles(t *testing.T) {
	cl := &fakeCloner{tree: "commit-1", prov: testProv}
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Builder = &projectBuilder{} // tells unchanged code
		e.eng.Cloner = cl
		e.eng.Extract = func(r io.Reader, dest string) (string, error) {
			b, err := io.ReadAll(r)
			if err != nil {
				return "", err
			}
			// The real extraction's digest is of the archive's bytes.
			return "sha-of-" + string(b), os.WriteFile(filepath.Join(dest, "index.js"), []byte("same"), 0o644)
		}
	})
	src := &lambda.GitSource{URL: testProv.Repository, Ref: "main"}
	if _, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "greet", Git: src, Progress: &progress{}}); err != nil {
		t.Fatal(err)
	}
	cl.tree = "commit-2"
	d, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "greet", Git: src, Progress: &progress{}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Changed || d.ActiveVersion != 1 {
		t.Errorf("the same files from another commit: changed %v, version %d; want unchanged", d.Changed, d.ActiveVersion)
	}
}
