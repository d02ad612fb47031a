package http

import (
	"context"
	"net/http"
	"time"

	"github.com/lambdahq/lambda"
)

// awsCurrent is a function as an update starts from: its description,
// active version and what the CodeStore keeps of it.
type awsCurrent struct {
	c    awsFunctionConfiguration
	v    *lambda.Version
	meta lambda.FunctionMeta
}

// awsUpdatable finds the function an update names, refusing one being
// created, failed or already updating, and a RevisionId that is not its.
func (s *Server) awsUpdatable(ctx context.Context, r *http.Request, revision string) (*awsCurrent, error) {
	ref, err := parseFunctionName(r.PathValue("function"))
	if err != nil {
		return nil, err
	}
	if ref.Qualifier != "" {
		return nil, invalidParam("An update applies to $LATEST: remove the qualifier %q from the function name", ref.Qualifier)
	}
	c, v, err := s.awsDescribe(ctx, ref.Name, "")
	switch {
	case err != nil:
		return nil, err
	case c.LastUpdateStatus == awsInProgress:
		return nil, awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "The operation cannot be performed at this time. An update is in progress for resource: %s", c.FunctionArn)
	case v == nil:
		return nil, awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "The function %s is %s: delete it and create it again", c.FunctionName, c.State)
	case revision != "" && revision != c.RevisionID:
		return nil, awsErrorf(preconditionOutcome, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	meta, err := s.awsMeta(ctx, ref.Name)
	if err != nil {
		return nil, err
	}
	return &awsCurrent{c: c, v: v, meta: meta}, nil
}

// spec is the deploy that gives the function its current code and
// configuration again.
func (cur *awsCurrent) spec() awsSpec {
	cfg := cur.v.Config.WithDefaults()
	return awsSpec{
		name: cur.c.FunctionName, runtime: cur.c.Runtime, handler: cur.c.Handler,
		memoryMB: int(cfg.MemoryBytes >> 20), timeoutS: int((time.Duration(cfg.Timeout) + time.Second - 1) / time.Second),
		env: cfg.Env, codeSize: cur.meta.CodeSize,
	}
}

func (s *Server) handleAWSUpdateCode(w http.ResponseWriter, r *http.Request) {
	var in awsUpdateCodeInput
	err := s.decodeAWS(w, r, &in, "ZipFile", "ImageUri", "Publish", "DryRun", "RevisionId", "Architectures")
	var cur *awsCurrent
	if err == nil {
		cur, err = s.awsUpdatable(r.Context(), r, in.RevisionID)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	sp := cur.spec()
	sp.code = in.awsFunctionCode
	if sp.code.ImageURI != "" {
		sp.runtime, sp.handler = "", ""
	} else if cur.c.PackageType == "Image" {
		s.writeAWSError(w, r, invalidParam("Please provide ImageUri when updating a function with packageType Image."))
		return
	}
	c, err := prepareAWSDeploy(sp, nil)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	c.meta.Description, c.meta.Role = cur.meta.Description, cur.meta.Role
	s.answerAWSUpdate(w, r, cur, c, in.DryRun)
}

// answerAWSUpdate starts the deploy c (unless dryRun) and answers the
// function as it now is: updating.
func (s *Server) answerAWSUpdate(w http.ResponseWriter, r *http.Request, cur *awsCurrent, c *awsCode, dryRun bool) {
	out := cur.c
	if !dryRun {
		if err := s.startAWSDeploy(r.Context(), c, &out); err != nil {
			s.writeAWSError(w, r, err)
			return
		}
		out.LastUpdateStatus, out.LastUpdateStatusReason, out.LastUpdateStatusReasonCode = awsInProgress, "The function is being updated.", "Updating"
	}
	writeAWSJSON(w, http.StatusOK, out)
}

func (s *Server) handleAWSUpdateConfig(w http.ResponseWriter, r *http.Request) {
	var in awsUpdateConfigInput
	err := s.decodeAWS(w, r, &in, "Runtime", "Role", "Handler", "Description", "Timeout", "MemorySize", "Environment.Variables", "RevisionId")
	var cur *awsCurrent
	if err == nil {
		cur, err = s.awsUpdatable(r.Context(), r, in.RevisionID)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	meta := cur.meta
	if in.Description != nil {
		meta.Description = *in.Description
	}
	if in.Role != nil {
		meta.Role = *in.Role
	}
	sp := cur.spec()
	before := sp
	setIf(&sp.runtime, in.Runtime)
	setIf(&sp.handler, in.Handler)
	setIf(&sp.memoryMB, in.MemorySize)
	setIf(&sp.timeoutS, in.Timeout)
	if in.Environment != nil {
		sp.env = in.Environment.Variables
	}
	if sp.runtime == before.runtime && sp.handler == before.handler && sp.memoryMB == before.memoryMB &&
		sp.timeoutS == before.timeoutS && sameEnv(sp.env, before.env) {
		// Only what the platform does not use changed: nothing to build.
		if err := s.setAWSMeta(r.Context(), cur.c.FunctionName, meta); err != nil {
			s.writeAWSError(w, r, err)
			return
		}
		out := cur.c
		out.Description, out.Role = meta.Description, meta.Role
		writeAWSJSON(w, http.StatusOK, out)
		return
	}
	c, err := s.redeploySpec(r.Context(), cur, sp)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	c.meta.Description, c.meta.Role = meta.Description, meta.Role
	s.answerAWSUpdate(w, r, cur, c, false)
}

// redeploySpec is the deploy of the function's current code under sp:
// its image again, or the zip the CodeStore kept of its active version.
func (s *Server) redeploySpec(ctx context.Context, cur *awsCurrent, sp awsSpec) (*awsCode, error) {
	if cur.c.PackageType == "Image" {
		if sp.runtime != "" || sp.handler != "" {
			return nil, invalidParam("Runtime and Handler are not supported for PackageType Image: the image's command is the function")
		}
		sp.code.ImageURI = cur.v.CodeSHA256 // the image's ID: the same image, whatever its tag now names
		return prepareAWSDeploy(sp, nil)
	}
	if s.AWSCode == nil {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not keep code for the Lambda API: redeploy with `lambda deploy`")
	}
	code, err := s.AWSCode.LoadCode(ctx, cur.c.FunctionName, cur.v.CodeSHA256)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return nil, invalidParam("The code of %s version %d was not deployed through the Lambda API, so this server cannot rebuild it with a new configuration: "+
			"send the code again with UpdateFunctionCode, or redeploy with `lambda deploy` and its flags", cur.c.FunctionName, cur.v.Number)
	}
	if err != nil {
		return nil, err
	}
	if sp.runtime != cur.c.Runtime && awsLanguage(sp.runtime) != awsLanguage(cur.c.Runtime) {
		return nil, invalidParam("Runtime %s needs other code than %s: send the new code with UpdateFunctionCode first", sp.runtime, cur.c.Runtime)
	}
	return prepareAWSDeploy(sp, code)
}

// awsLanguage is what a runtime's code is written for.
func awsLanguage(runtime string) string {
	switch {
	case awsPythonRuntime.MatchString(runtime):
		return "python"
	case awsNodeRuntime.MatchString(runtime):
		return "node"
	case awsProvidedRuntime.MatchString(runtime):
		return "provided"
	}
	return runtime
}

func (s *Server) setAWSMeta(ctx context.Context, name string, m lambda.FunctionMeta) error {
	if s.AWSCode == nil {
		return lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not keep the Lambda API's settings")
	}
	return s.AWSCode.SetMeta(ctx, name, m)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func sameEnv(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
