package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidation holds each input rule of the platform to one answer
// through the real CLI and API: the CLI refuses before sending anything,
// the API with the status and code of the rule, and a refused input
// changes nothing; the server stays healthy.
func TestValidation(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	live := s.fn("valid")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", live)
	s.mustLambda("schedule", live, "--cron", "0 * * * *", "--data", `{"a":1}`)
	never := s.fn("never") // no case may create it

	dir := t.TempDir()
	badSchedule := filepath.Join(dir, never)
	if err := os.Mkdir(badSchedule, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"Dockerfile":  "FROM scratch\n",
		"lambda.yaml": "schedules:\n  - cron: \"0 * * * *\"\n  - cron: \"0 0 * * 5-1\"\n",
	} {
		if err := os.WriteFile(filepath.Join(badSchedule, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "app.tar")
	if err := os.WriteFile(file, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}

	cli := []struct {
		name string
		args []string
		code int
		want string // in stderr (or stdout when code is 0)
	}{
		{"empty --name", []string{"deploy", "testdata/fixture", "--name", ""}, 1, "--name: function name is empty"},
		{"timeout 0s", []string{"deploy", "testdata/fixture", "--name", never, "--timeout", "0s"}, 1, "--timeout 0s is out of range 1s-15m"},
		{"timeout 1ns", []string{"deploy", "testdata/fixture", "--name", never, "--timeout", "1ns"}, 1, "--timeout 1ns is out of range 1s-15m"},
		{"timeout below a ms", []string{"deploy", "testdata/fixture", "--name", never, "--timeout", "1500100us"}, 1, "not a whole number of milliseconds"},
		{"env PORT", []string{"deploy", "testdata/fixture", "--name", never, "--env", "PORT=9000"}, 1, "environment variable PORT is reserved: the platform sets it to the function's port: use --port"},
		{"env LAMBDA_", []string{"deploy", "testdata/fixture", "--name", never, "--env", "LAMBDA_FUNCTION_NAME=x"}, 1, "names starting with LAMBDA_ are set by the platform"},
		{"env AWS_LAMBDA_", []string{"deploy", "testdata/fixture", "--name", never, "--env", "AWS_LAMBDA_RUNTIME_API=x"}, 1, "names starting with AWS_LAMBDA_"},
		{"env over 4 KB", []string{"deploy", "testdata/fixture", "--name", never, "--env", "A=" + strings.Repeat("x", 5000)}, 1, "environment is 5001 bytes (names and values): the limit is 4096"},
		{"deploy a file", []string{"deploy", file, "--name", never}, 1, "is a file: deploy needs a directory; for an image archive use --image-archive"},
		{"manifest: backwards cron range", []string{"deploy", badSchedule}, 1, `lambda.yaml: line 3: schedules[1]: cron expression "0 0 * * 5-1": day-of-week range "5-1" runs backwards`},
		{"rollback --to 0", []string{"rollback", live, "--to", "0"}, 1, "--to 0 is invalid: versions are numbered from 1"},
		{"idle timeout 1ms", []string{"config", live, "--idle-timeout", "1ms"}, 1, "idle timeout 1ms is out of range 1s-24h (0 means the default, 5m)"},
		{"idle timeout 0 is the default", []string{"config", live, "--idle-timeout", "0"}, 0, "idle timeout 5m0s"},
		{"cron range backwards", []string{"schedule", live, "--cron", "0 22-2 * * *"}, 1, `hour range "22-2" runs backwards`},
		{"duplicate schedule", []string{"schedule", live, "--cron", "0  * * * *", "--tz", "UTC", "--data", `{ "a": 1 }`}, 1, "already has this schedule (id sch_"},
		{"server takes no --server", []string{"server"}, 1, `--server is for the commands that call a server: "lambda server" runs the platform itself`},
	}
	for _, tc := range cli {
		t.Run("cli/"+tc.name, func(t *testing.T) {
			res := s.lambda(tc.args...)
			out := res.stderr
			if tc.code == 0 {
				out = res.stdout
			}
			if res.code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", res.code, tc.code, tc.want, res.stdout, res.stderr)
			}
			if strings.Contains(res.stderr, "Packaging") && tc.code != 0 {
				t.Errorf("the CLI packed the code before refusing it:\n%s", res.stderr)
			}
		})
	}

	oversized := `{"config":{"env":{"A":"` + strings.Repeat("x", 1<<20) + `"}}}`
	api := []apiCase{
		{"rollback null", "POST", "/v1/functions/" + live + "/rollback", "application/json", []byte("null"), 400, "invalid", "request body must be a JSON object"},
		{"rollback version 0", "POST", "/v1/functions/" + live + "/rollback", "application/json", []byte(`{"version":0}`), 400, "invalid", "version 0 is invalid"},
		{"schedule null", "POST", "/v1/schedules", "application/json", []byte("null"), 400, "invalid", "request body must be a JSON object"},
		{"schedule duplicate", "POST", "/v1/schedules", "application/json", []byte(`{"function":"` + live + `","cron":"0 * * * *","data":{"a":1}}`), 409, "conflict", "already has this schedule (id sch_"},
		{"scaling idle 1ms", "PATCH", "/v1/functions/" + live + "/scaling", "application/json", []byte(`{"idle_timeout":"1ms"}`), 400, "invalid", "idle timeout 1ms is out of range"},
		deployCase("deploy config over 1 MB", never, oversized, 413, "too_large", "deploy config is over the 1 MB limit"),
		deployCase("deploy timeout 1ns", never, `{"config":{"timeout":"1ns"}}`, 400, "invalid", "timeout 1ns is out of range 1s-15m"),
		deployCase("deploy env PORT", never, `{"config":{"env":{"PORT":"1"}}}`, 400, "invalid", "environment variable PORT is reserved"),
		deployCase("deploy bad schedule", never, `{"config":{},"schedules":[{"function":"","cron":"0 5-1 * * *"}]}`, 400, "invalid", `schedules[0]: cron expression "0 5-1 * * *": hour range "5-1" runs backwards`),
	}
	for _, tc := range api {
		t.Run("api/"+tc.name, func(t *testing.T) {
			status, code, msg := s.apiCall(tc.method, tc.path, tc.contentType, tc.body)
			if status != tc.status || code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("answer %d %s %q, want %d %s with %q", status, code, msg, tc.status, tc.code, tc.want)
			}
		})
	}

	// The limit of 20 schedules per function, counting the one above.
	for i := 1; i < 20; i++ {
		if status, code, msg := s.apiCall("POST", "/v1/schedules", "application/json", []byte(fmt.Sprintf(`{"function":%q,"cron":"%d 0 * * *"}`, live, i))); status != 201 {
			t.Fatalf("schedule %d: %d %s %s", i+1, status, code, msg)
		}
	}
	if status, code, msg := s.apiCall("POST", "/v1/schedules", "application/json", []byte(fmt.Sprintf(`{"function":%q,"cron":"0 1 * * *"}`, live))); status != 400 || !strings.Contains(msg, "has 20 schedules: the limit is 20") {
		t.Errorf("21st schedule: %d %s %q", status, code, msg)
	}

	// What was refused changed nothing: the function still serves version
	// 1 with its schedules named in UTC, and the other was never created.
	var fn struct {
		Active struct{ Number int } `json:"active"`
	}
	if err := json.Unmarshal([]byte(s.mustLambda("describe", live, "-o", "json").stdout), &fn); err != nil || fn.Active.Number != 1 {
		t.Errorf("active version %d (%v), want 1", fn.Active.Number, err)
	}
	var schedules []struct{ Timezone string }
	if err := json.Unmarshal([]byte(s.mustLambda("schedule", "list", live, "-o", "json").stdout), &schedules); err != nil || len(schedules) != 20 {
		t.Fatalf("%d schedules (%v), want 20", len(schedules), err)
	}
	for _, sc := range schedules {
		if sc.Timezone != "UTC" {
			t.Errorf("schedule list -o json says timezone %q, want UTC", sc.Timezone)
			break
		}
	}
	if res := s.lambda("describe", never); res.code == 0 {
		t.Errorf("a refused input created %s", never)
	}
	if out := docker(t, "images", "-q", "func-"+never); out != "" {
		t.Errorf("a refused input left images: %s", out)
	}
	if resp, body := s.request("GET", "", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("server unhealthy after the refused inputs: %s", body)
	}
	s.mustLambda("delete", live)
}

// apiCase is a request to the control API and the answer it must get:
// status, error code and a part of the message.
type apiCase struct {
	name, method, path, contentType string
	body                            []byte
	status                          int
	code                            string
	want                            string
}

// deployCase is an API case uploading config and a tiny code part.
func deployCase(name, fn, config string, status int, code, want string) apiCase {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormField("config")
	w.Write([]byte(config))
	w, _ = mw.CreateFormField("code")
	w.Write([]byte("not even gzip: never read"))
	mw.Close()
	return apiCase{name, "POST", "/v1/functions/" + fn + "/deploy", mw.FormDataContentType(), body.Bytes(), status, code, want}
}

// apiCall sends body to the control API and returns the status and the
// platform error's code and message (empty on success).
func (s *server) apiCall(method, path, contentType string, body []byte) (status int, code, message string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url(path), bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code, e.Error.Message
}

// TestDeployOutput: a deploy shows one line per build step, the whole log
// with --verbose or when the build fails, and nothing but the URL with
// --quiet.
func TestDeployOutput(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	fn := s.fn("output")
	dir := t.TempDir()
	for name, body := range map[string]string{"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\nCMD [\"/nothing\"]\n", "hello.txt": "hi\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "Dockerfile"), []byte("FROM scratch\nCOPY missing.txt /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The container cannot start (nothing to run): the build alone is
	// under test, so every deploy fails at its third step or earlier.
	tests := []struct {
		name     string
		args     []string
		want     []string
		wantNone []string
	}{
		{"steps", []string{"deploy", dir, "--name", fn, "--start-timeout", "1s"},
			[]string{"[2/3] Building image", "\nStep 1/4 : FROM scratch\nStep 2/4 : COPY hello.txt /hello.txt\n"},
			[]string{" ---> ", "Successfully built", "Build output:"}},
		{"verbose", []string{"deploy", dir, "--name", fn, "--start-timeout", "1s", "--verbose"},
			[]string{"Step 1/4 : FROM scratch\n ---> "}, []string{"Build output:"}},
		{"quiet", []string{"deploy", dir, "--name", fn, "--start-timeout", "1s", "--quiet"},
			[]string{"Error: "}, []string{"[1/3]", "Step 1/4"}},
		{"build fails: whole log", []string{"deploy", broken, "--name", fn},
			[]string{"Step 2/3 : COPY missing.txt /x\nBuild output:\n", "Error: build failed: COPY failed"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := s.lambda(tc.args...)
			if res.code != 1 || res.stdout != "" {
				t.Errorf("exit %d, stdout %q", res.code, res.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			for _, w := range tc.wantNone {
				if strings.Contains(res.stderr, w) {
					t.Errorf("stderr has %q:\n%s", w, res.stderr)
				}
			}
		})
	}
}
