package http

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// Defaults of the ARNs the Lambda API answers with: this server is one
// region of one account, named as LocalStack names its own.
const (
	DefaultAWSRegion  = "us-east-1"
	DefaultAWSAccount = "000000000000"
)

// awsLastModified is Lambda's layout of LastModified.
const awsLastModified = "2006-01-02T15:04:05.000-0700"

// functionARN is name's ARN, with ":qualifier" unless qualifier is empty.
func (s *Server) functionARN(name, qualifier string) string {
	region, account := s.AWSRegion, s.AWSAccount
	if region == "" {
		region = DefaultAWSRegion
	}
	if account == "" {
		account = DefaultAWSAccount
	}
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}

// awsArchitecture is the one architecture this server's functions run on.
func awsArchitecture() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// awsConfigOf describes version v of a function as Lambda's
// FunctionConfiguration: as $LATEST when latest, else as version v.
func (s *Server) awsConfigOf(v *lambda.Version, meta lambda.FunctionMeta, latest bool) awsFunctionConfiguration {
	qualifier := strconv.Itoa(v.Number)
	c := awsFunctionConfiguration{
		FunctionName:     v.Function,
		FunctionArn:      s.functionARN(v.Function, qualifier),
		Version:          qualifier,
		Role:             meta.Role,
		Description:      meta.Description,
		CodeSize:         meta.CodeSize,
		LastModified:     v.CreatedAt.UTC().Format(awsLastModified),
		CodeSha256:       awsCodeSHA(v.CodeSHA256),
		RevisionID:       revisionID(v),
		TracingConfig:    awsTracing{Mode: "PassThrough"},
		PackageType:      "Zip",
		Architectures:    []string{awsArchitecture()},
		EphemeralStorage: awsStorage{Size: 512},
	}
	if latest {
		c.FunctionArn, c.Version = s.functionARN(v.Function, ""), "$LATEST"
	}
	cfg := v.Config.WithDefaults()
	c.MemorySize = int(cfg.MemoryBytes >> 20)
	c.Timeout = int((time.Duration(cfg.Timeout) + time.Second - 1) / time.Second)
	if len(cfg.Env) > 0 {
		c.Environment = &awsEnvironment{Variables: cfg.Env}
	}
	c.Runtime, c.Handler = awsRuntimeOf(cfg, meta)
	if cfg.Runtime == lambda.RuntimeImage {
		c.PackageType, c.Runtime, c.Handler = "Image", "", ""
	}
	return c
}

// awsRuntimeOf names the Lambda runtime and handler of cfg: the identifier
// the function was deployed with when it is of the same language, else
// one of the language's.
func awsRuntimeOf(cfg lambda.Config, meta lambda.FunctionMeta) (runtime, handler string) {
	switch {
	case cfg.Runtime == lambda.RuntimePython:
		return pick(meta.Runtime, "python3", "python3.12"), cfg.Handler
	case cfg.Runtime == lambda.RuntimeNode:
		return pick(meta.Runtime, "nodejs", "nodejs20.x"), cfg.Handler
	case cfg.Protocol == lambda.ProtocolAWS || cfg.Runtime == lambda.RuntimeGo:
		// A Runtime API client (a bootstrap) or a Go program: Lambda's
		// runtimes for either are the provided ones.
		return pick(meta.Runtime, "provided", "provided.al2023"), pick(meta.Handler, "", "bootstrap")
	}
	return "", ""
}

func pick(have, prefix, def string) string {
	if have != "" && strings.HasPrefix(have, prefix) {
		return have
	}
	return def
}

// awsCodeSHA is Lambda's CodeSha256 (base64) of a version's hex digest;
// an image's ID ("sha256:HEX") gives the digest of the image.
func awsCodeSHA(sum string) string {
	b, err := hex.DecodeString(strings.TrimPrefix(sum, "sha256:"))
	if err != nil {
		h := sha256.Sum256([]byte(sum))
		b = h[:]
	}
	return base64.StdEncoding.EncodeToString(b)
}

// revisionID names a version's state as Lambda's RevisionId (a UUID): it
// changes with every version.
func revisionID(v *lambda.Version) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%s/%d", v.Function, v.Number, v.CodeSHA256, v.CreatedAt.UnixNano())))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
