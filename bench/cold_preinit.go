package bench

import (
	"context"
	"fmt"
	"net/http"
)

// Preiniter readies a handler function for a cold start from a
// pre-initialized instance of its runtime (issue 14 §2).
type Preiniter interface {
	// PreinitReady leaves the Deployer's function name (as Deploy was
	// given it) with no instance
	// and a generic instance of its runtime ready to take its code, and
	// returns once both hold: the next request is such a cold start.
	PreinitReady(ctx context.Context, name string) error
}

// preinitKinds are the kinds of function coldPreinit measures: the
// handler runtimes, and the Go functions behind the shim, whose generic
// instances are of the shim base (the binary arrives with the init).
var preinitKinds = []struct{ kind, runtime string }{
	{"python", "python"}, {"node", "node"},
	{"go", "go"}, {"aws", "go"}, {"stdio", "go"},
}

// coldPreinit measures, per kind of function, a request to a function
// with no instance while a generic instance that fits it is ready: the
// platform gives it the function's code rather than start a container.
// One unmeasured sample first (it also has the function's code read out
// of its image); a sample the gateway does not report as a cold start is
// discarded.
func (r *Runner) coldPreinit(ctx context.Context, rep *Report) error {
	if r.Deployer == nil || r.Preinit == nil {
		return nil
	}
	p := r.Plan
	tr := NewTransport(2)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: coldTimeout}
	c := &rep.Cold
	for _, k := range preinitKinds {
		name := "preinit-" + k.kind
		code, err := preinitFunction(k.kind)
		if err != nil {
			return err
		}
		dctx, cancel := context.WithTimeout(ctx, deployWait)
		err = r.Deployer.Deploy(dctx, name, k.runtime, code)
		cancel()
		if err != nil {
			return fmt.Errorf("deploy %s: %w", name, err)
		}
		lat := NewRecorder(p.ColdSamples)
		discarded := 0
		r.logf("cold: %d %s cold starts from a pre-initialized instance", p.ColdSamples, k.kind)
		for round := -1; round < p.ColdSamples; round++ {
			if err := r.Preinit.PreinitReady(ctx, name); err != nil {
				return err
			}
			d, cold, err := r.coldRequestTo(ctx, client, r.Deployer.Endpoint(name))
			if err != nil {
				return err
			}
			if !cold {
				discarded++
				continue
			}
			if round >= 0 {
				lat.Record(d)
			}
		}
		_ = r.Deployer.Delete(context.WithoutCancel(ctx), name)
		if lat.Count() == 0 {
			return fmt.Errorf("no %s request was a cold start (%d discarded)", k.kind, discarded)
		}
		f := PreinitFigures{P50Ms: Millis(lat.Percentile(50)), P99Ms: Millis(lat.Percentile(99)), Samples: lat.Count(), Discarded: discarded}
		f.Ratio = ratio(f.P50Ms, c.BareP50Ms)
		*c.preinit(k.kind) = f
	}
	return nil
}

// preinit is the figures of a kind of preinitKinds.
func (c *Cold) preinit(kind string) *PreinitFigures {
	switch kind {
	case "python":
		return &c.PreinitPython
	case "node":
		return &c.PreinitNode
	case "go":
		return &c.PreinitGo
	case "aws":
		return &c.PreinitAWS
	}
	return &c.PreinitStdio
}

// preinitFunction is the tar.gz of a function of kind: the deploy phase's
// for the handler runtimes, and for Go a Go SDK function, an
// aws-lambda-go one and a stdio command (lambda.yaml sets its protocol).
func preinitFunction(kind string) ([]byte, error) {
	switch kind {
	case "go":
		return packFunction(map[string]string{"go.mod": "module example.com/preinit\n\ngo 1.22\n", "main.go": preinitSDKSource})
	case "aws":
		return packFunction(map[string]string{"go.mod": "module example.com/preinit\n\ngo 1.22\n\nrequire github.com/aws/aws-lambda-go v1.55.0\n",
			"go.sum": awsGoSum, "main.go": preinitAWSSource})
	case "stdio":
		return packFunction(map[string]string{"go.mod": "module example.com/preinit\n\ngo 1.22\n", "main.go": preinitStdioSource, "lambda.yaml": "protocol: stdio\n"})
	}
	return deployFunction(kind, "preinit")
}

const preinitSDKSource = `package main

import "github.com/lambdahq/lambda/sdk"

func main() { sdk.Start(func() (string, error) { return "preinit", nil }) }
`

const preinitAWSSource = `package main

import "github.com/aws/aws-lambda-go/lambda"

func main() { lambda.Start(func() (string, error) { return "preinit", nil }) }
`

const preinitStdioSource = `package main

import "os"

func main() { os.Stdout.WriteString("preinit") }
`

// awsGoSum is aws-lambda-go's go.sum entries (e2e/testdata/aws-fn's).
const awsGoSum = `github.com/aws/aws-lambda-go v1.55.0 h1:D+AUkk49hTldMnv+Ydt+/jdWVXWPsp8hlwY6Enob2FM=
github.com/aws/aws-lambda-go v1.55.0/go.mod h1:V+NzkHNR6vBC8C1PDloqSLE+7jYWFiPvJJFiCiTm8nE=
github.com/davecgh/go-spew v1.1.1 h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c=
github.com/davecgh/go-spew v1.1.1/go.mod h1:J7Y8YcW2NihsgmVo/mv3lAwl/skON4iLHjSsI+c5H38=
github.com/pmezard/go-difflib v1.0.0 h1:4DBwDE0NGyQoBHbLQYPwSUPoCMWR5BEzIk/f1lZbAQM=
github.com/pmezard/go-difflib v1.0.0/go.mod h1:iKH77koFhYxTK1pcRnkKkqfTogsbg7gZNVY4sRDYZ/4=
github.com/stretchr/testify v1.7.2 h1:4jaiDzPyXQvSd7D0EjG45355tLlV3VOECpq10pLC+8s=
github.com/stretchr/testify v1.7.2/go.mod h1:R6va5+xMeoiuVRoj+gSkQ7d3FALtqAAGI1FQKckRals=
gopkg.in/yaml.v3 v3.0.1 h1:fxVm/GzAzEWqLHuvctI91KS9hhNmmWOoWu0XTYJS7CA=
gopkg.in/yaml.v3 v3.0.1/go.mod h1:K4uyk7z7BCEPqu6E+C64Yfv1cQ7kz7rIZviUmN+EgEM=
`

// PreinitFigures are one runtime's cold starts from pre-initialized
// instances; Ratio is P50Ms over the bare Docker cold start of the http
// bench function (a static Go server: a stricter baseline than a bare
// start of the runtime's own image, whose interpreter starts too).
type PreinitFigures struct {
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	Ratio     float64 `json:"ratio"`
	Samples   int     `json:"samples"`
	Discarded int     `json:"discarded"`
}
