package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// fakeNodes records each removal from the nodes, one slice per pass.
type fakeNodes struct {
	mu     sync.Mutex
	passes [][]string
	err    error
}

func (n *fakeNodes) RemoveFromNodes(_ context.Context, refs []string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.passes = append(n.passes, slices.Clone(refs))
	return n.err
}

func (n *fakeNodes) list() [][]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.passes)
}

func newNodesEnv(t *testing.T, keep int) (*env, *fakeNodes) {
	nodes := &fakeNodes{}
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Registry, e.eng.Pushed, e.eng.KeepVersions = testRegistry, &fakeRegistry{}, keep
		e.eng.NodeImages = nodes
	})
	return e, nodes
}

// TestDeleteRemovesFromNodesInOnePass: a function's delete removes every
// version's pushed image from the nodes in one pass (one job on the
// cluster), and a pass that fails does not fail the delete.
func TestDeleteRemovesFromNodesInOnePass(t *testing.T) {
	e, nodes := newNodesEnv(t, 0)
	v1 := e.mustDeploy(t, "greet", lambda.Config{}).Active.ImageID
	v2 := e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}}).Active.ImageID
	nodes.err = errors.New("node lsw-n3 is down")
	if err := e.eng.Delete(context.Background(), "greet"); err != nil {
		t.Fatalf("a failed removal from the nodes failed the delete: %v", err)
	}
	if got := nodes.list(); len(got) != 1 || !slices.Equal(got[0], []string{v1, v2}) {
		t.Errorf("the delete removed %q from the nodes, want one pass of %q", got, []string{v1, v2})
	}
}

// TestPruneRemovesFromNodes: a version pruned past KeepVersions leaves
// the nodes too, and only it.
func TestPruneRemovesFromNodes(t *testing.T) {
	e, nodes := newNodesEnv(t, 1)
	v1 := e.mustDeploy(t, "greet", lambda.Config{}).Active.ImageID
	e.mustDeploy(t, "greet", lambda.Config{Env: map[string]string{"V": "2"}})
	eventually(t, "v1's image removed from the nodes", func() bool {
		got := nodes.list()
		return len(got) == 1 && slices.Equal(got[0], []string{v1})
	})
}
