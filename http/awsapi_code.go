package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
)

// The Lambda runtimes this server serves, and what serves each: python3.x
// and nodejs the platform's handler runtimes, provided the zip's bootstrap
// as a Runtime API client (protocol aws).
var (
	awsPythonRuntime   = regexp.MustCompile(`^python3\.[0-9]{1,2}$`)
	awsNodeRuntime     = regexp.MustCompile(`^nodejs[0-9]{1,2}\.x$`)
	awsProvidedRuntime = regexp.MustCompile(`^provided(\.al2|\.al2023)?$`)
)

const awsSupportedRuntimes = "python3.9 to python3.13 (Handler module.function), nodejs18.x to nodejs22.x (Handler file.export), " +
	"provided.al2023, provided.al2 or provided (a bootstrap executable at the zip's root)"

// awsHandler is Lambda's constraint on Handler: no white space, at most
// 128 characters.
var awsHandler = regexp.MustCompile(`^[^\s]{1,128}$`)

// providedDockerfile runs a provided runtime's bootstrap where Lambda
// puts it. FROM scratch: the bootstrap must be a static executable (a Go
// binary built with CGO_ENABLED=0), as nothing else is in the image.
const providedDockerfile = "FROM scratch\nCOPY . /var/task/\nWORKDIR /var/task\nENV LAMBDA_TASK_ROOT=/var/task\nENTRYPOINT [\"/var/task/bootstrap\"]\n"

// awsCode is a Lambda API deploy made ready: the request for the
// FunctionService and what the CodeStore keeps of it.
type awsCode struct {
	req   lambda.DeployRequest
	tarGz []byte // the zip as the tar the deploy extracts; nil for an image
	sum   string // tarGz's hex SHA-256: the version's CodeSHA256
	meta  lambda.FunctionMeta
}

// awsSpec is what a Lambda API deploy sets.
type awsSpec struct {
	name, runtime, handler string
	code                   awsFunctionCode
	memoryMB, timeoutS     int
	env                    map[string]string
	codeSize               int64 // of a zip loaded from the CodeStore
}

func invalidParam(format string, args ...any) error {
	return awsErrorf(lambdaOutcomes[lambda.EINVALID], format, args...)
}

// prepareAWSDeploy checks sp and turns it into a deploy request. Whatever
// the platform can tell before building is refused here, synchronously:
// a runtime it cannot serve, a zip it cannot read, a handler the zip does
// not hold.
func prepareAWSDeploy(sp awsSpec, tarGz []byte) (*awsCode, error) {
	if err := checkAWSLimits(sp.memoryMB, sp.timeoutS); err != nil {
		return nil, err
	}
	cfg := lambda.Config{MemoryBytes: int64(sp.memoryMB) << 20, Timeout: lambda.Duration(time.Duration(sp.timeoutS) * time.Second), Env: sp.env}
	if err := lambda.ValidateEnv(sp.env); err != nil {
		return nil, err
	}
	c := &awsCode{req: lambda.DeployRequest{Name: sp.name}, meta: lambda.FunctionMeta{Runtime: sp.runtime}}
	if sp.code.ImageURI != "" {
		if sp.runtime != "" || sp.handler != "" {
			return nil, invalidParam("Runtime and Handler are not supported for PackageType Image: the image's command is the function")
		}
		cfg.Protocol = lambda.ProtocolAWS
		c.req.Config, c.req.Image = cfg, sp.code.ImageURI
		return c, nil
	}
	if tarGz == nil && len(sp.code.ZipFile) == 0 {
		return nil, invalidParam("Please provide a source for function code: Code.ZipFile or Code.ImageUri (S3 locations are not supported by this server)")
	}
	if sp.runtime == "" || sp.handler == "" {
		return nil, invalidParam("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if !awsHandler.MatchString(sp.handler) {
		return nil, awsErrorf(validationOutcome, "1 validation error detected: Value '%s' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+ (at most 128 characters)", sp.handler)
	}
	opts := archive.ZipOptions{}
	switch {
	case awsPythonRuntime.MatchString(sp.runtime):
		cfg.Runtime, cfg.Handler = lambda.RuntimePython, sp.handler
	case awsNodeRuntime.MatchString(sp.runtime):
		cfg.Runtime, cfg.Handler = lambda.RuntimeNode, sp.handler
	case awsProvidedRuntime.MatchString(sp.runtime):
		cfg.Runtime, cfg.Protocol = lambda.RuntimeDockerfile, lambda.ProtocolAWS
		c.meta.Handler = sp.handler
		opts = archive.ZipOptions{Executable: []string{"bootstrap"}, Add: map[string][]byte{"Dockerfile": []byte(providedDockerfile)}}
	default:
		return nil, invalidParam("The runtime parameter of %s is not supported by this server: use %s", sp.runtime, awsSupportedRuntimes)
	}
	c.req.Config = cfg
	if tarGz != nil {
		// Code kept from an earlier deploy, already checked.
		c.tarGz, c.meta.CodeSize = tarGz, sp.codeSize
	} else {
		tree, err := archive.FromZip(sp.code.ZipFile, archive.ZipLimits{}, opts)
		if err != nil {
			return nil, err
		}
		if err := checkEntryPoint(cfg, sp.handler, tree.Files); err != nil {
			return nil, err
		}
		c.tarGz, c.meta.CodeSize = tree.TarGz, int64(len(sp.code.ZipFile))
	}
	h := sha256.Sum256(c.tarGz)
	c.sum = hex.EncodeToString(h[:])
	c.req.Code = bytes.NewReader(c.tarGz)
	return c, nil
}

// checkAWSLimits checks memory and timeout against Lambda's own ranges.
func checkAWSLimits(memoryMB, timeoutS int) error {
	if memoryMB < 128 || memoryMB > 10240 {
		return awsErrorf(validationOutcome, "1 validation error detected: Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240", memoryMB)
	}
	if timeoutS < 1 || timeoutS > 900 {
		return awsErrorf(validationOutcome, "1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900", timeoutS)
	}
	return nil
}

// checkEntryPoint refuses a zip without the file its handler names (or
// without a bootstrap): Lambda would accept it and fail every invocation,
// this server builds the function at once and would fail the build.
func checkEntryPoint(cfg lambda.Config, handler string, files map[string]bool) error {
	var want []string
	switch cfg.Runtime {
	case lambda.RuntimePython:
		mod, _, ok := cutLast(handler, ".")
		if !ok || mod == "" {
			return invalidParam("Handler %q is not module.function, e.g. lambda_function.lambda_handler", handler)
		}
		want = []string{strings.ReplaceAll(mod, ".", "/") + ".py", mod + ".py"}
	case lambda.RuntimeNode:
		file, _, ok := cutLast(handler, ".")
		if !ok || file == "" {
			return invalidParam("Handler %q is not file.export, e.g. index.handler", handler)
		}
		want = []string{file + ".js", file + ".mjs", file + ".cjs"}
	default:
		want = []string{"bootstrap"}
	}
	for _, f := range want {
		if files[f] {
			return nil
		}
	}
	return invalidParam("The zip holds no %s for the handler %q (it holds %s)", strings.Join(want, " or "), handler, someFiles(files))
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// someFiles names a few of files, for a message.
func someFiles(files map[string]bool) string {
	names := make([]string, 0, len(files))
	for f := range files {
		if f != "Dockerfile" {
			names = append(names, f)
		}
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "...")
	}
	return strings.Join(names, ", ")
}
