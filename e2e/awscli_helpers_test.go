package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/lambdahq/lambda/drivertest"
)

// awsCLIBinary finds the AWS CLI v2 (Debian's awscli package installs it
// as /usr/bin/aws; an older v1 may come first on PATH).
func awsCLIBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/aws", "aws"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/2.") {
			return path
		}
	}
	drivertest.SkipOrFail(t, "the AWS CLI v2 is not installed (Debian: apt-get install awscli)")
	return ""
}

// awsKey is an admin key of s as AWS credentials: its ID the access key
// ID, its secret the secret access key.
type awsKey struct{ ID, Secret string }

func newAWSKey(t *testing.T, s *server, name string) awsKey {
	t.Helper()
	var key awsKey
	if err := json.Unmarshal([]byte(s.mustLambda("keys", "create", name, "--scope", "admin", "-o", "json").stdout), &key); err != nil || key.ID == "" {
		t.Fatalf("keys create -o json: %v %+v", err, key)
	}
	return key
}

// awsCLI runs the AWS CLI against s with key; it returns stdout, and
// stderr as the error when the command fails.
type awsCLI struct {
	t      *testing.T
	bin    string
	s      *server
	key    awsKey
	config string
}

func newAWSCLI(t *testing.T, s *server, key awsKey) *awsCLI {
	return &awsCLI{t: t, bin: awsCLIBinary(t), s: s, key: key, config: filepath.Join(t.TempDir(), "none")}
}

func (c *awsCLI) run(args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "--endpoint-url", c.s.url(""), "--output", "json")...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+c.key.ID, "AWS_SECRET_ACCESS_KEY="+c.key.Secret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+c.config, "AWS_SHARED_CREDENTIALS_FILE="+c.config, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.New(strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// must runs args and decodes the JSON it prints into out (if not nil).
func (c *awsCLI) must(out any, args ...string) string {
	c.t.Helper()
	stdout, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			c.t.Fatalf("aws %s: %v: %s", strings.Join(args, " "), err, stdout)
		}
	}
	return stdout
}

// fails runs args, which must fail with Lambda's exception name.
func (c *awsCLI) fails(exception string, args ...string) string {
	c.t.Helper()
	_, err := c.run(args...)
	if err == nil || !strings.Contains(err.Error(), "("+exception+")") {
		c.t.Errorf("aws %s: %v, want an error (%s)", strings.Join(args, " "), err, exception)
		return ""
	}
	return err.Error()
}

// awsConfig is the part of a FunctionConfiguration the tests read.
type awsConfig struct {
	FunctionName, FunctionArn, Runtime, Handler, Role, Description, Version string
	State, StateReason, LastUpdateStatus, LastUpdateStatusReason            string
	MemorySize, Timeout                                                     int
	Environment                                                             struct{ Variables map[string]string }
}

// zipFiles is a zip of name → content; names ending in "*" are
// executable.
func zipFiles(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		h := &zip.FileHeader{Name: strings.TrimSuffix(name, "*"), Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasSuffix(name, "*") {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeZip writes z to a file of the test's and returns its fileb:// URL.
func writeZip(t *testing.T, name string, z []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, z, 0o644); err != nil {
		t.Fatal(err)
	}
	return "fileb://" + p
}

// pythonZip is a Python function answering mark and the event.
func pythonZip(t *testing.T, mark string) []byte {
	return zipFiles(t, map[string]string{"lambda_function.py": "import os\n\n" +
		"def lambda_handler(event, context):\n" +
		"    return {'mark': '" + mark + "', 'event': event, 'greeting': os.environ.get('GREETING', ''), 'version': context.function_version}\n"})
}

// bootstrapZip builds testdata/aws-fn (aws-lambda-go) as a static
// bootstrap and zips it, as a provided.al2023 function is shipped.
func bootstrapZip(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, "bootstrap"), ".")
	build.Dir = filepath.Join("testdata", "aws-fn")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build aws-fn: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	return zipFiles(t, map[string]string{"bootstrap*": string(b)})
}

// awsSDK is an SDK client of s with key.
func awsSDK(s *server, key awsKey) *awslambda.Client {
	return awslambda.New(awslambda.Options{
		BaseEndpoint: aws.String(s.url("")),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
	})
}

// awsAPIError checks err is Lambda's exception code with status.
func awsAPIError(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	var apiErr smithy.APIError
	var st interface{ HTTPStatusCode() int }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code || !errors.As(err, &st) || st.HTTPStatusCode() != status {
		t.Errorf("%s: %v; want %d %s", what, err, status, code)
	}
}
