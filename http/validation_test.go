package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// validationService records what reaches the function service.
type validationService struct {
	lambda.FunctionService
	mu         sync.Mutex
	rollbacks  []int
	deploys    int
	deployWait chan struct{} // closed when a deploy waits for its context
}

func (f *validationService) Rollback(_ context.Context, name string, to int) (*lambda.Function, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rollbacks = append(f.rollbacks, to)
	return &lambda.Function{Name: name, ActiveVersion: 1}, nil
}

func (f *validationService) Deploy(ctx context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	f.mu.Lock()
	f.deploys++
	f.mu.Unlock()
	if req.Code != nil {
		io.Copy(io.Discard, req.Code)
	}
	if f.deployWait != nil {
		req.Progress.Step(2, 3, "Building")
		close(f.deployWait)
		<-ctx.Done()
		return nil, fmt.Errorf("build image: %w", ctx.Err()) // an internal error, as the engine's
	}
	return &lambda.Deployment{Function: &lambda.Function{Name: req.Name, ActiveVersion: 1}, Changed: true}, nil
}

func (f *validationService) Instances(context.Context, string) ([]*lambda.Instance, error) {
	return nil, nil
}

// memSchedules is an in-memory ScheduleStore.
type memSchedules struct {
	lambda.ScheduleStore
	list []*lambda.Schedule
}

func (m *memSchedules) CreateSchedule(_ context.Context, s *lambda.Schedule) error {
	s.ID = fmt.Sprintf("sch_%d", len(m.list)+1)
	m.list = append(m.list, s)
	return nil
}

func (m *memSchedules) ListSchedules(_ context.Context, fn string) ([]*lambda.Schedule, error) {
	var out []*lambda.Schedule
	for _, s := range m.list {
		if fn == "" || s.Function == fn {
			out = append(out, s)
		}
	}
	return out, nil
}

// fakeCron accepts any expression but "bad".
type fakeCron struct{}

func (fakeCron) Next(expr, tz string, t time.Time) (time.Time, error) {
	if expr == "bad" {
		return time.Time{}, lambda.Errorf(lambda.EINVALID, "cron expression %q: expected 5 fields", expr)
	}
	return t.Add(time.Hour), nil
}

// recordingHandler keeps the log records and announces each on logged.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
	logged  chan slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	select {
	case h.logged <- r:
	default: // nobody waits on so many records
	}
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Level >= slog.LevelError {
			out = append(out, r.Message)
		}
	}
	return out
}

func newValidationServer(t *testing.T) (*validationService, *memSchedules, *recordingHandler, string) {
	t.Helper()
	svc, sch, logs := &validationService{}, &memSchedules{}, &recordingHandler{logged: make(chan slog.Record, 64)}
	s := openForTest(NewServer())
	s.Functions, s.Schedules, s.Cron, s.Logger = svc, sch, fakeCron{}, slog.New(logs)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return svc, sch, logs, srv.URL
}

// post sends body and returns the status and the error code and message.
func post(t *testing.T, url, contentType string, body io.Reader) (int, ErrorBody) {
	t.Helper()
	resp, err := http.Post(url, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e ErrorResponse
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}

func TestRollbackBody(t *testing.T) {
	tests := []struct {
		body   string
		status int
		want   string // message, or the version the service got: "to N"
	}{
		{`{}`, 200, "to 0"},
		{`{"version":2}`, 200, "to 2"},
		{` {"version":1} `, 200, "to 1"},
		{`null`, 400, "request body must be a JSON object, got null"},
		{`[]`, 400, "request body must be a JSON object, got []"},
		{`2`, 400, "request body must be a JSON object, got 2"},
		{``, 400, "request body is not valid JSON: EOF"},
		{`{"version":1} {"version":2}`, 400, "request body holds more than its JSON object, which ends at byte 13: send one object"},
		{`{"version":1}x`, 400, "request body holds more than its JSON object"},
		{`{"version":1}]`, 400, "request body holds more than its JSON object"},
		{"{\"version\":1}\r\n\t ", 200, "to 1"},
		{`{"version":0}`, 400, "version 0 is invalid: versions are numbered from 1; leave the version out for the one before the active version"},
		{`{"version":-1}`, 400, "version -1 is invalid"},
		{`{"to":1}`, 400, `request body is not valid JSON: json: unknown field "to"`},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			svc, _, _, url := newValidationServer(t)
			status, e := post(t, url+"/v1/functions/greet/rollback", "application/json", strings.NewReader(tt.body))
			got := e.Message
			if status == 200 {
				if len(svc.rollbacks) != 1 {
					t.Fatalf("%d rollbacks", len(svc.rollbacks))
				}
				got = fmt.Sprintf("to %d", svc.rollbacks[0])
			} else if len(svc.rollbacks) != 0 {
				t.Errorf("a refused body rolled back to %v", svc.rollbacks)
			}
			if status != tt.status || !strings.HasPrefix(got, tt.want) {
				t.Errorf("answer %d %q, want %d %q", status, got, tt.status, tt.want)
			}
		})
	}
}

func TestCreateScheduleRules(t *testing.T) {
	_, store, _, url := newValidationServer(t)
	create := func(body string) (int, ErrorBody) {
		return post(t, url+"/v1/schedules", "application/json", strings.NewReader(body))
	}
	if status, e := create(`{"function":"greet","cron":"0 * * * *","data":{"a":1,"b":2}}`); status != 201 {
		t.Fatalf("first schedule: %d %+v", status, e)
	}
	if tz := store.list[0].Timezone; tz != "UTC" {
		t.Errorf("a schedule without a zone is stored with %q, want UTC", tz)
	}
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"identical", `{"function":"greet","cron":"0 * * * *","timezone":"UTC","data":{"b":2,"a":1},"overlap":"allow"}`, 409,
			`function "greet" already has this schedule (id sch_1, cron "0 * * * *", time zone UTC, same data)`},
		{"other data", `{"function":"greet","cron":"0 * * * *","data":{"a":2}}`, 201, ""},
		{"other function", `{"function":"hello","cron":"0 * * * *","data":{"a":1,"b":2}}`, 201, ""},
		{"null", `null`, 400, "request body must be a JSON object, got null"},
		{"overlap queue", `{"function":"greet","cron":"5 * * * *","overlap":"queue"}`, 201, ""},
		{"overlap allow", `{"function":"greet","cron":"6 * * * *","overlap":"allow"}`, 201, ""},
		{"bad overlap", `{"function":"greet","cron":"7 * * * *","overlap":"wait"}`, 400,
			`overlap "wait" is invalid: use "skip" (no tick while one is pending), "queue" (at most one waits for the running one) or "allow"`},
	}
	for _, tt := range tests {
		if status, e := create(tt.body); status != tt.status || e.Message != tt.want {
			t.Errorf("%s: answer %d %q, want %d %q", tt.name, status, e.Message, tt.status, tt.want)
		}
	}
	overlaps := map[string]string{}
	for _, s := range store.list {
		overlaps[s.Cron] = s.Overlap
	}
	if want := map[string]string{"0 * * * *": "skip", "5 * * * *": "queue", "6 * * * *": "allow"}; !maps.Equal(overlaps, want) {
		t.Errorf("overlap stored per cron = %v, want %v", overlaps, want)
	}
	for i := len(store.list); i < lambda.MaxSchedulesPerFunction+1; i++ {
		store.list = append(store.list, &lambda.Schedule{ID: fmt.Sprintf("sch_x%d", i), Function: "greet", Cron: fmt.Sprintf("%d * * * *", i)})
	}
	status, e := create(`{"function":"greet","cron":"59 * * * *"}`)
	if status != 400 || !strings.Contains(e.Message, "the limit is 20") {
		t.Errorf("over the limit: answer %d %q", status, e.Message)
	}
}

// deployUpload is a deploy upload with config and a code part.
func deployUpload(config string) (string, *bytes.Buffer) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormField(PartConfig)
	io.WriteString(w, config)
	w, _ = mw.CreateFormField(PartCode)
	io.WriteString(w, "CODE")
	mw.Close()
	return mw.FormDataContentType(), &body
}

func TestDeployConfigChecks(t *testing.T) {
	tests := []struct {
		name   string
		config string
		status int
		want   string
	}{
		{"over 1 MB", `{"config":{"env":{"A":"` + strings.Repeat("x", maxJSONBody) + `"}}}`, 413,
			"deploy config is over the 1 MB limit: keep large settings in the function's files"},
		{"null", `null`, 400, `deploy config must be a JSON object, got "null"`},
		{"timeout", `{"config":{"timeout":"1ns"}}`, 400, "timeout 1ns is out of range 1s-15m"},
		{"reserved env", `{"config":{"env":{"PORT":"1"}}}`, 400,
			"environment variable PORT is reserved: the platform sets it to the function's port: use --port (port: in lambda.yaml) to change it"},
		{"bad schedule", `{"config":{},"schedules":[{"function":"","cron":"0 * * * *"},{"function":"","cron":"bad"}]}`, 400,
			`schedules[1]: cron expression "bad": expected 5 fields`},
		{"duplicate schedules", `{"config":{},"schedules":[{"function":"","cron":"0 * * * *"},{"function":"","cron":"0 * * * *","timezone":"UTC"}]}`, 409,
			`schedules[1]: function "greet" already has this schedule (id schedules[0], cron "0 * * * *", time zone UTC, same data)`},
		{"valid schedules", `{"config":{},"schedules":[{"function":"","cron":"0 * * * *"},{"function":"","cron":"30 * * * *"}]}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, _, url := newValidationServer(t)
			ct, body := deployUpload(tt.config)
			status, e := post(t, url+"/v1/functions/greet/deploy", ct, body)
			if status != tt.status || e.Message != tt.want {
				t.Errorf("answer %d %q, want %d %q", status, e.Message, tt.status, tt.want)
			}
			if deployed := svc.deploys > 0; deployed != (tt.status == 200) {
				t.Errorf("deploy reached the service: %v", deployed)
			}
		})
	}
}

// A client that disconnects during a deploy is not a platform failure.
func TestDeployClientGoneIsNotAnError(t *testing.T) {
	svc, _, logs, url := newValidationServer(t)
	svc.deployWait = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	ct, body := deployUpload(`{"config":{}}`)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/functions/greet/deploy", body)
	req.Header.Set("Content-Type", ct)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body) // until the cancel cuts it
			resp.Body.Close()
		}
	}()
	<-svc.deployWait
	cancel()
	<-done
	// The handler logs once the deploy has returned: wait for that record.
	timeout := time.After(10 * time.Second)
	for found := false; !found; {
		select {
		case r := <-logs.logged:
			if r.Level >= slog.LevelError {
				t.Errorf("logged at %s: %s", r.Level, r.Message)
			}
			if found = r.Message == "deploy abandoned: client went away"; found && r.Level != slog.LevelInfo {
				t.Errorf("logged at %s, want INFO", r.Level)
			}
		case <-timeout:
			t.Fatalf("no record of the client going away; errors logged: %q", logs.errors())
		}
	}
	if errs := logs.errors(); len(errs) > 0 {
		t.Errorf("logged at ERROR: %q", errs)
	}
}
