package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestAWSCLIAlias: two published versions behind an alias that sends 10 %
// to the older one, through the AWS CLI; both versions answer the alias,
// and `lambda alias list` shows the same alias.
func TestAWSCLIAlias(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	name := s.fn("awsalias")
	key := newAWSKey(t, s, "awsalias-"+name)
	cli := newAWSCLI(t, s, key)

	cli.must(nil, "lambda", "create-function", "--function-name", name, "--runtime", "python3.12", "--handler", "lambda_function.lambda_handler",
		"--role", "r", "--zip-file", writeZip(t, "a.zip", pythonZip(t, "a")), "--publish")
	cli.must(nil, "lambda", "wait", "function-active-v2", "--function-name", name)
	var a, b awsConfig
	cli.must(&a, "lambda", "publish-version", "--function-name", name)
	cli.must(nil, "lambda", "update-function-code", "--function-name", name, "--zip-file", writeZip(t, "b.zip", pythonZip(t, "b")))
	cli.must(nil, "lambda", "wait", "function-updated-v2", "--function-name", name)
	cli.must(&b, "lambda", "publish-version", "--function-name", name)

	cli.fails("ValidationException", "lambda", "create-alias", "--function-name", name, "--name", "prod", "--function-version", b.Version,
		"--routing-config", "AdditionalVersionWeights={"+a.Version+"=1.5}")
	var alias struct {
		AliasArn, Name, FunctionVersion string
		RoutingConfig                   struct{ AdditionalVersionWeights map[string]float64 }
	}
	cli.must(&alias, "lambda", "create-alias", "--function-name", name, "--name", "prod", "--function-version", b.Version,
		"--routing-config", "AdditionalVersionWeights={"+a.Version+"=0.1}")
	if alias.AliasArn != "arn:aws:lambda:us-east-1:000000000000:function:"+name+":prod" || alias.FunctionVersion != b.Version || alias.RoutingConfig.AdditionalVersionWeights[a.Version] != 0.1 {
		t.Errorf("create-alias answered %+v", alias)
	}
	cli.fails("ResourceConflictException", "lambda", "create-alias", "--function-name", name, "--name", "prod", "--function-version", b.Version)

	// 200 calls at 10 %: each version answers (none of them missing has a
	// probability under 1e-9).
	client := awsSDK(s, key)
	marks := map[string]int{}
	for i := 0; i < 200; i++ {
		out, err := client.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("prod"), Payload: []byte(`{}`)})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("invoke prod: %v %+v", err, out)
		}
		var v struct{ Mark string }
		_ = json.Unmarshal(out.Payload, &v)
		marks[v.Mark]++
	}
	if marks["a"] == 0 || marks["b"] == 0 || marks["a"] > marks["b"] {
		t.Errorf("prod (b with 10%% to a) answered %v", marks)
	}

	var list struct {
		Aliases []struct{ Name, FunctionVersion string }
	}
	cli.must(&list, "lambda", "list-aliases", "--function-name", name)
	names := []string{}
	for _, al := range list.Aliases {
		names = append(names, al.Name+"="+al.FunctionVersion)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "prod="+b.Version) {
		t.Errorf("list-aliases: %s", got)
	}
	if out := s.mustLambda("alias", "list", name).stdout; !strings.Contains(out, "prod") {
		t.Errorf("lambda alias list does not show the alias the AWS CLI created:\n%s", out)
	}
	cli.must(nil, "lambda", "update-alias", "--function-name", name, "--name", "prod", "--function-version", a.Version, "--routing-config", "AdditionalVersionWeights={}")
	var updated struct {
		FunctionVersion string
		RoutingConfig   *struct{ AdditionalVersionWeights map[string]float64 }
	}
	cli.must(&updated, "lambda", "get-alias", "--function-name", name, "--name", "prod")
	if updated.FunctionVersion != a.Version || updated.RoutingConfig != nil && len(updated.RoutingConfig.AdditionalVersionWeights) != 0 {
		t.Errorf("get-alias after update-alias: %+v", updated)
	}
	// A version an alias routes to is not deleted.
	cli.fails("ResourceConflictException", "lambda", "delete-function", "--function-name", name, "--qualifier", a.Version)
	cli.must(nil, "lambda", "delete-alias", "--function-name", name, "--name", "prod")
	cli.fails("ResourceNotFoundException", "lambda", "get-alias", "--function-name", name, "--name", "prod")
	cli.must(nil, "lambda", "delete-function", "--function-name", name)
}
