package engine_test

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
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
