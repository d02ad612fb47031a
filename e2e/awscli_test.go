package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAWSCLILifecycle drives the real AWS CLI v2 through a Python
// function's life on this server (issue 17): create from a zip, wait
// until active, invoke, update the code, publish versions, reserved
// concurrency, event-invoke config, listings, delete a version and then
// the function — and checks the platform's own CLI sees the same state.
func TestAWSCLILifecycle(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	name := s.fn("awscli")
	cli := newAWSCLI(t, s, newAWSKey(t, s, "awscli-"+name))
	arn := "arn:aws:lambda:us-east-1:000000000000:function:" + name

	var created awsConfig
	cli.must(&created, "lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
		"--handler", "lambda_function.lambda_handler", "--role", "arn:aws:iam::000000000000:role/test",
		"--zip-file", writeZip(t, "one.zip", pythonZip(t, "one")), "--description", "made by the AWS CLI",
		"--timeout", "10", "--memory-size", "256", "--environment", "Variables={GREETING=hello}")
	if created.FunctionArn != arn || created.State != "Pending" || created.Runtime != "python3.12" || created.MemorySize != 256 {
		t.Errorf("create-function answered %+v", created)
	}
	cli.fails("ResourceConflictException", "lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
		"--handler", "lambda_function.lambda_handler", "--role", "r", "--zip-file", writeZip(t, "again.zip", pythonZip(t, "one")))
	cli.must(nil, "lambda", "wait", "function-active-v2", "--function-name", name)

	var got struct {
		Configuration awsConfig
		Code          struct{ RepositoryType string }
	}
	cli.must(&got, "lambda", "get-function", "--function-name", name)
	c := got.Configuration
	if c.State != "Active" || c.LastUpdateStatus != "Successful" || c.Description != "made by the AWS CLI" || c.Role != "arn:aws:iam::000000000000:role/test" ||
		c.Timeout != 10 || c.Environment.Variables["GREETING"] != "hello" || c.Version != "$LATEST" || c.Handler != "lambda_function.lambda_handler" {
		t.Errorf("get-function: %+v", got)
	}

	invoke := func(payload string, extra ...string) map[string]any {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out.json")
		cli.must(nil, append([]string{"lambda", "invoke", "--function-name", name, "--cli-binary-format", "raw-in-base64-out", "--payload", payload}, append(extra, out)...)...)
		b, _ := os.ReadFile(out)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("invoke answered %s", b)
		}
		return v
	}
	if v := invoke(`{"n":1}`); v["mark"] != "one" || v["greeting"] != "hello" {
		t.Errorf("invoke: %v", v)
	}

	// Two versions published after two code updates.
	var versions []string
	for _, mark := range []string{"two", "three"} {
		var upd awsConfig
		cli.must(&upd, "lambda", "update-function-code", "--function-name", name, "--zip-file", writeZip(t, mark+".zip", pythonZip(t, mark)))
		cli.must(nil, "lambda", "wait", "function-updated-v2", "--function-name", name)
		var pub awsConfig
		cli.must(&pub, "lambda", "publish-version", "--function-name", name)
		if pub.Version == "" || pub.Version == "$LATEST" || pub.FunctionArn != arn+":"+pub.Version {
			t.Errorf("publish-version: %+v", pub)
		}
		versions = append(versions, pub.Version)
		if v := invoke(`{}`); v["mark"] != mark {
			t.Errorf("after update to %s: %v", mark, v)
		}
	}
	if versions[0] == versions[1] {
		t.Errorf("two code updates published one version: %v", versions)
	}
	var v0 awsConfig
	cli.must(&v0, "lambda", "get-function-configuration", "--function-name", name, "--qualifier", versions[0])
	if v0.Version != versions[0] || v0.FunctionArn != arn+":"+versions[0] {
		t.Errorf("get-function-configuration --qualifier %s: %+v", versions[0], v0)
	}

	// A configuration change rebuilds the zip kept from the last deploy.
	cli.must(nil, "lambda", "update-function-configuration", "--function-name", name, "--environment", "Variables={GREETING=changed}", "--description", "changed")
	cli.must(nil, "lambda", "wait", "function-updated-v2", "--function-name", name)
	if v := invoke(`{}`); v["mark"] != "three" || v["greeting"] != "changed" {
		t.Errorf("after update-function-configuration: %v", v)
	}

	// Reserved concurrency 0 throttles every invocation.
	cli.must(nil, "lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "0")
	var conc struct{ ReservedConcurrentExecutions *int }
	cli.must(&conc, "lambda", "get-function-concurrency", "--function-name", name)
	if conc.ReservedConcurrentExecutions == nil || *conc.ReservedConcurrentExecutions != 0 {
		t.Errorf("get-function-concurrency: %+v", conc)
	}
	cli.fails("TooManyRequestsException", "lambda", "invoke", "--function-name", name, filepath.Join(t.TempDir(), "throttled.json"))
	cli.must(nil, "lambda", "delete-function-concurrency", "--function-name", name)
	invoke(`{}`)

	// Event-invoke config: the async queue's settings, as `lambda` shows them.
	cli.must(nil, "lambda", "put-function-event-invoke-config", "--function-name", name, "--maximum-retry-attempts", "1", "--maximum-event-age-in-seconds", "120")
	var eic struct {
		MaximumRetryAttempts, MaximumEventAgeInSeconds int
		FunctionArn                                    string
	}
	cli.must(&eic, "lambda", "get-function-event-invoke-config", "--function-name", name)
	if eic.MaximumRetryAttempts != 1 || eic.MaximumEventAgeInSeconds != 120 {
		t.Errorf("get-function-event-invoke-config: %+v", eic)
	}
	desc := s.mustLambda("describe", name, "-o", "json").stdout
	if !strings.Contains(desc, `"max_retries": 1`) || !strings.Contains(desc, `"max_event_age": "2m0s"`) {
		t.Errorf("lambda describe does not show the event-invoke config: %s", desc)
	}

	// Listings.
	var list struct{ Functions []awsConfig }
	cli.must(&list, "lambda", "list-functions")
	if !hasFunction(list.Functions, name, "$LATEST") {
		t.Errorf("list-functions lacks %s", name)
	}
	cli.must(&list, "lambda", "list-functions", "--function-version", "ALL")
	for _, v := range append(versions, "$LATEST") {
		if !hasFunction(list.Functions, name, v) {
			t.Errorf("list-functions --function-version ALL lacks %s:%s", name, v)
		}
	}
	var vl struct{ Versions []awsConfig }
	cli.must(&vl, "lambda", "list-versions-by-function", "--function-name", name)
	for _, v := range append(versions, "$LATEST") {
		if !hasFunction(vl.Versions, name, v) {
			t.Errorf("list-versions-by-function lacks %s", v)
		}
	}

	// Delete a version, then the function; `lambda` sees both.
	cli.must(nil, "lambda", "delete-function", "--function-name", name, "--qualifier", versions[0])
	cli.fails("ResourceNotFoundException", "lambda", "get-function-configuration", "--function-name", name, "--qualifier", versions[0])
	if out := s.mustLambda("versions", name, "-o", "json").stdout; strings.Contains(out, `"number": `+versions[0]+`,`) {
		t.Errorf("lambda versions still lists the deleted version %s:\n%s", versions[0], out)
	}
	cli.must(nil, "lambda", "delete-function", "--function-name", name)
	cli.fails("ResourceNotFoundException", "lambda", "get-function", "--function-name", name)
	if res := s.lambda("describe", name); res.code == 0 {
		t.Errorf("lambda describe finds the deleted function: %s", res.stdout)
	}
}

func hasFunction(list []awsConfig, name, version string) bool {
	for _, c := range list {
		if c.FunctionName == name && c.Version == version {
			return true
		}
	}
	return false
}

// TestAWSCLIAndLambdaCLI: a function deployed with `lambda deploy` is
// seen and managed through the AWS CLI, and one created through the AWS
// API is managed with `lambda`.
func TestAWSCLIAndLambdaCLI(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	cli := newAWSCLI(t, s, newAWSKey(t, s, "awsboth-"+s.fn("k")))

	ours := s.fn("awsours")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", ours)
	var c awsConfig
	cli.must(&c, "lambda", "get-function-configuration", "--function-name", ours)
	if c.FunctionName != ours || c.State != "Active" {
		t.Errorf("get-function-configuration of a function lambda deployed: %+v", c)
	}
	cli.must(nil, "lambda", "update-function-configuration", "--function-name", ours, "--description", "set by aws")
	cli.must(&c, "lambda", "get-function-configuration", "--function-name", ours)
	if c.Description != "set by aws" {
		t.Errorf("description: %+v", c)
	}
	cli.must(nil, "lambda", "put-function-concurrency", "--function-name", ours, "--reserved-concurrent-executions", "5")
	if desc := s.mustLambda("describe", ours, "-o", "json").stdout; !strings.Contains(desc, `"reserved_concurrency": 5`) {
		t.Errorf("lambda describe does not show the reserved concurrency the AWS CLI set: %s", desc)
	}
	cli.must(nil, "lambda", "delete-function", "--function-name", ours)
	if res := s.lambda("describe", ours); res.code == 0 {
		t.Errorf("lambda describe finds the function the AWS CLI deleted")
	}

	theirs := s.fn("awstheirs")
	cli.must(nil, "lambda", "create-function", "--function-name", theirs, "--runtime", "python3.11", "--handler", "lambda_function.lambda_handler",
		"--role", "r", "--zip-file", writeZip(t, "f.zip", pythonZip(t, "theirs")))
	cli.must(nil, "lambda", "wait", "function-active-v2", "--function-name", theirs)
	if res := s.mustLambda("invoke", theirs, "--data", `{"x":1}`); !strings.Contains(res.stdout, `"mark": "theirs"`) && !strings.Contains(res.stdout, `"mark":"theirs"`) {
		t.Errorf("lambda invoke of a function the AWS CLI created: %s", res.stdout)
	}
	s.mustLambda("config", theirs, "--max-retries", "0")
	var eic struct{ MaximumRetryAttempts int }
	cli.must(&eic, "lambda", "get-function-event-invoke-config", "--function-name", theirs)
	if eic.MaximumRetryAttempts != 0 {
		t.Errorf("get-function-event-invoke-config after lambda config --max-retries 0: %+v", eic)
	}
	s.mustLambda("delete", theirs)
	cli.fails("ResourceNotFoundException", "lambda", "get-function", "--function-name", theirs)
}
