package http

import (
	"context"
	"net/http"
	"regexp"

	"github.com/lambdahq/lambda"
)

// awsFunctionName is Lambda's constraint on a function's name.
var awsFunctionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// checkAWSName refuses a name Lambda refuses (ValidationException), and
// one Lambda accepts that this server cannot serve: a function's name is
// a DNS label here (NAME.DOMAIN), so lowercase, without '_'.
func checkAWSName(name string) error {
	if !awsFunctionName.MatchString(name) {
		return awsErrorf(validationOutcome, "1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64 and satisfy regular expression pattern: [a-zA-Z0-9-_]+", name)
	}
	if err := lambda.ValidateName(name); err != nil {
		return invalidParam("%s (this server serves each function at NAME.DOMAIN, so names are DNS labels)", lambda.ErrorMessage(err))
	}
	return nil
}

// notFound is Lambda's answer for a function, or a version of it, that
// does not exist.
func (s *Server) notFound(name, qualifier string) error {
	return awsErrorf(lambdaOutcomes[lambda.ENOTFOUND], "Function not found: %s", s.functionARN(name, qualifier))
}

func (s *Server) handleAWSCreateFunction(w http.ResponseWriter, r *http.Request) {
	var in awsCreateFunctionInput
	err := s.decodeAWS(w, r, &in, "FunctionName", "Runtime", "Role", "Handler", "Code.ZipFile", "Code.ImageUri",
		"Description", "Timeout", "MemorySize", "Publish", "PackageType", "Environment.Variables")
	if err == nil {
		err = checkAWSName(in.FunctionName)
	}
	if err == nil {
		auditFunction(w, in.FunctionName)
		err = authorizeFunction(r.Context(), lambda.ScopeDeploy, in.FunctionName)
	}
	if err == nil && in.PackageType != "" && in.PackageType != map[bool]string{true: "Image", false: "Zip"}[in.Code.ImageURI != ""] {
		err = invalidParam("PackageType %s does not match the code: Code.ZipFile is PackageType Zip, Code.ImageUri PackageType Image", in.PackageType)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	sp := awsSpec{name: in.FunctionName, runtime: in.Runtime, handler: in.Handler, code: in.Code, memoryMB: 128, timeoutS: 3}
	if in.MemorySize != nil {
		sp.memoryMB = *in.MemorySize
	}
	if in.Timeout != nil {
		sp.timeoutS = *in.Timeout
	}
	if in.Environment != nil {
		sp.env = in.Environment.Variables
	}
	c, err := prepareAWSDeploy(sp, nil)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	c.meta.Description, c.meta.Role = in.Description, in.Role
	switch _, ferr := s.Store.FindFunction(r.Context(), in.FunctionName); {
	case ferr == nil:
		err = awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "Function already exist: %s", in.FunctionName)
	case lambda.ErrorCode(ferr) != lambda.ENOTFOUND:
		err = ferr
	case s.aws.status(in.FunctionName) != nil && s.aws.status(in.FunctionName).creating:
		err = awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "Function already exist: %s", in.FunctionName)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	pending := s.pendingConfig(c, in.FunctionName)
	if err := s.startAWSDeploy(r.Context(), c, &pending); err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	writeAWSJSON(w, http.StatusCreated, pending)
}

// pendingConfig is what a function being created looks like.
func (s *Server) pendingConfig(c *awsCode, name string) awsFunctionConfiguration {
	v := &lambda.Version{Function: name, Config: c.req.Config, CodeSHA256: c.sum}
	if c.req.Image != "" {
		v.Config.Runtime = lambda.RuntimeImage
	}
	out := s.awsConfigOf(v, c.meta, true)
	out.LastModified, out.RevisionID = "", ""
	out.State, out.StateReason, out.StateReasonCode, out.LastUpdateStatus = awsPending, "The function is being created.", "Creating", awsInProgress
	return out
}

// startAWSDeploy keeps the code and deploys it in the background; the
// function's metadata is recorded once the deploy is live. cur is the
// function as the answer shows it (its State says whether it is created).
func (s *Server) startAWSDeploy(ctx context.Context, c *awsCode, cur *awsFunctionConfiguration) error {
	if s.AWSCode == nil {
		return lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not keep code for the Lambda API: deploy with `lambda deploy`")
	}
	if c.tarGz != nil {
		if err := s.AWSCode.SaveCode(ctx, c.req.Name, c.sum, c.tarGz); err != nil {
			return err
		}
	}
	if k := keyFrom(ctx); k != nil {
		c.req.OnlyFunctions = k.Functions
	}
	logger := s.Logger
	return s.aws.start(c.req.Name, cur, func(ctx context.Context) error {
		_, err := s.Functions.Deploy(ctx, c.req)
		if err == nil {
			err = s.AWSCode.SetMeta(ctx, c.req.Name, c.meta)
		}
		if err != nil {
			logger.Info("lambda API deploy failed", "function", c.req.Name, "err", err)
		}
		return err
	})
}

func (s *Server) handleAWSGetFunction(w http.ResponseWriter, r *http.Request) {
	c, v, err := s.awsLookup(r)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	out := awsGetFunctionOutput{Configuration: c, Code: awsCodeLocation{RepositoryType: "S3"}}
	if c.PackageType == "Image" && v != nil {
		out.Code = awsCodeLocation{RepositoryType: "ECR", ImageURI: v.Image, ResolvedImageURI: v.Image + "@" + v.ImageID}
	}
	if fn, err := s.Store.FindFunction(r.Context(), c.FunctionName); err == nil && fn.Scaling.Reserved != nil {
		out.Concurrency = &awsConcurrency{ReservedConcurrentExecutions: fn.Scaling.Reserved}
	}
	writeAWSJSON(w, http.StatusOK, out)
}

func (s *Server) handleAWSGetConfiguration(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.awsLookup(r)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	writeAWSJSON(w, http.StatusOK, c)
}

// awsLookup finds the function and version a request names (path and
// Qualifier), as Lambda describes it; the version is nil for a function
// still being created.
func (s *Server) awsLookup(r *http.Request) (awsFunctionConfiguration, *lambda.Version, error) {
	ref, err := parseFunctionName(r.PathValue("function"))
	if err == nil {
		ref, err = mergeQualifier(ref, r.URL.Query().Get("Qualifier"))
	}
	if err != nil {
		return awsFunctionConfiguration{}, nil, err
	}
	return s.awsDescribe(r.Context(), ref.Name, ref.Qualifier)
}

// awsDescribe describes function name at qualifier ("" or $LATEST: the
// active version).
func (s *Server) awsDescribe(ctx context.Context, name, qualifier string) (awsFunctionConfiguration, *lambda.Version, error) {
	u := s.aws.status(name)
	fn, err := s.Store.FindFunction(ctx, name)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND && u != nil && u.creating && (qualifier == "" || qualifier == latest) {
		c := *u.pending
		u.apply(&c)
		return c, nil, nil
	}
	if lambda.ErrorCode(err) == lambda.ENOTFOUND || err == nil && fn.Active == nil {
		return awsFunctionConfiguration{}, nil, s.notFound(name, qualifier)
	}
	if err != nil {
		return awsFunctionConfiguration{}, nil, err
	}
	meta, err := s.awsMeta(ctx, name)
	if err != nil {
		return awsFunctionConfiguration{}, nil, err
	}
	v := fn.Active
	if qualifier != "" && qualifier != latest {
		if v, err = s.awsVersion(ctx, name, qualifier); err != nil {
			return awsFunctionConfiguration{}, nil, err
		}
	}
	c := s.awsConfigOf(v, meta, qualifier == "" || qualifier == latest)
	if c.Version == latest {
		u.apply(&c)
	} else {
		(*awsUpdate)(nil).apply(&c)
	}
	return c, v, nil
}

// awsVersion finds version qualifier of name, or the version alias
// qualifier names.
func (s *Server) awsVersion(ctx context.Context, name, qualifier string) (*lambda.Version, error) {
	n, ok := versionNumber(qualifier)
	if !ok {
		// An alias: the version it names.
		as, err := s.aliases()
		if err != nil {
			return nil, s.notFound(name, qualifier)
		}
		a, err := as.GetAlias(ctx, name, qualifier)
		if err != nil {
			return nil, s.notFound(name, qualifier)
		}
		n = a.Version
	}
	v, err := s.Store.FindVersion(ctx, name, n)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return nil, s.notFound(name, qualifier)
	}
	return v, err
}

func (s *Server) handleAWSDeleteFunction(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(r.PathValue("function"))
	if err == nil {
		ref, err = mergeQualifier(ref, r.URL.Query().Get("Qualifier"))
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	if ref.Qualifier != "" && ref.Qualifier != latest {
		s.handleAWSDeleteVersion(w, r, ref)
		return
	}
	ctx := r.Context()
	u := s.aws.status(ref.Name)
	if err := s.aws.forget(ref.Name); err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	err = s.Functions.Delete(ctx, ref.Name)
	switch {
	case lambda.ErrorCode(err) == lambda.ENOTFOUND && u != nil && u.creating:
		err = nil // its creation failed: it existed only in awsState
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		err = s.notFound(ref.Name, "")
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	if s.AWSCode != nil {
		if err := s.AWSCode.Forget(ctx, ref.Name); err != nil {
			s.Logger.Warn("lambda API: could not remove a deleted function's code", "function", ref.Name, "err", err)
		}
	}
	if s.SchedulesChanged != nil {
		s.SchedulesChanged()
	}
	writeAWSJSON(w, http.StatusNoContent, nil)
}

// awsMeta is what the CodeStore keeps of name (nothing without one).
func (s *Server) awsMeta(ctx context.Context, name string) (lambda.FunctionMeta, error) {
	if s.AWSCode == nil {
		return lambda.FunctionMeta{}, nil
	}
	return s.AWSCode.Meta(ctx, name)
}
