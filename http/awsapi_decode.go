package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"

	"github.com/lambdahq/lambda"
)

// awsUnsupported names what Lambda request fields this server does not
// implement: a request setting one is refused naming it, never served
// without it.
var awsUnsupported = map[string]string{
	"Layers":               "layers",
	"VpcConfig":            "VPC configuration",
	"SnapStart":            "SnapStart",
	"CodeSigningConfigArn": "code signing",
	"DeadLetterConfig":     "dead-letter queues (use PutFunctionEventInvokeConfig's OnFailure destination)",
	"KMSKeyArn":            "KMS encryption",
	"FileSystemConfigs":    "EFS file systems",
	"ImageConfig":          "image configuration overrides",
	"Tags":                 "tags",
	"LoggingConfig":        "logging configuration",
	"EphemeralStorage":     "ephemeral storage sizes",
	"TracingConfig":        "X-Ray tracing",
	"Architectures":        "other architectures",
	"S3Bucket":             "code in S3 (send Code.ZipFile)",
	"S3Key":                "code in S3 (send Code.ZipFile)",
	"S3ObjectVersion":      "code in S3 (send Code.ZipFile)",
	"SourceKMSKeyArn":      "KMS encryption",
}

// decodeAWS reads a Lambda API request body into v. Fields outside
// allowed are refused, naming them (InvalidParameterValueException);
// a field set to its default (null, empty, PassThrough tracing, this
// machine's architecture) asks for nothing and passes. An empty body is
// {}.
func (s *Server) decodeAWS(w http.ResponseWriter, r *http.Request, v any, allowed ...string) error {
	clear := readDeadline(w, s.BodyReadTimeout)
	body, err := io.ReadAll(io.LimitReader(r.Body, awsMaxRequestBytes+1))
	clear()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		w.Header().Set("Connection", "close")
	}
	if err != nil {
		return bodyError(err, s.BodyReadTimeout)
	}
	if len(body) > awsMaxRequestBytes {
		return lambda.Errorf(lambda.ETOOLARGE, "Request must be smaller than %d bytes", awsMaxRequestBytes)
	}
	return decodeAWSBody(body, v, allowed...)
}

// decodeAWSBody is decodeAWS once the body is read; the fuzz target's.
func decodeAWSBody(body []byte, v any, allowed ...string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return awsErrorf(invalidContent, "Could not parse request body into json: %v", err)
	}
	if err := checkAWSFields(fields, "", allowed); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return awsErrorf(invalidContent, "Could not parse request body into json: %v", err)
	}
	return nil
}

// checkAWSFields refuses a field of fields not in allowed (dotted names
// for nested ones: "Code.ZipFile"), prefix naming the object they are in.
func checkAWSFields(fields map[string]json.RawMessage, prefix string, allowed []string) error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names) // the same request is refused naming the same field
	for _, k := range names {
		full := prefix + k
		if contains(allowed, full) {
			continue
		}
		raw := fields[k]
		if defaultValue(k, raw) {
			continue
		}
		var nested map[string]json.RawMessage
		if hasNested(allowed, full+".") && json.Unmarshal(raw, &nested) == nil {
			if err := checkAWSFields(nested, full+".", allowed); err != nil {
				return err
			}
			continue
		}
		if what, ok := awsUnsupported[k]; ok {
			return invalidParam("%s is not supported by this server (no %s): remove it from the request", full, what)
		}
		return invalidParam("%s is not a parameter this server supports for this operation: remove it from the request", full)
	}
	return nil
}

var emptyJSON = regexp.MustCompile(`^\s*(null|\[\s*\]|\{\s*\}|""|false)\s*$`)

// defaultValue reports whether raw, the value of field k, asks for what
// this server does anyway.
func defaultValue(k string, raw json.RawMessage) bool {
	if emptyJSON.Match(raw) {
		return true
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	switch k {
	case "TracingConfig":
		m, ok := v.(map[string]any)
		return ok && len(m) == 1 && m["Mode"] == "PassThrough"
	case "Architectures":
		a, ok := v.([]any)
		return ok && len(a) == 1 && a[0] == awsArchitecture()
	case "EphemeralStorage":
		m, ok := v.(map[string]any)
		return ok && len(m) == 1 && m["Size"] == float64(512)
	case "VpcConfig":
		// Terraform and CloudFormation send empty lists for no VPC.
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for _, x := range m {
			if l, ok := x.([]any); !ok || len(l) > 0 {
				if b, ok := x.(bool); !ok || b {
					return false
				}
			}
		}
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasNested(list []string, prefix string) bool {
	for _, x := range list {
		if len(x) > len(prefix) && x[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}
