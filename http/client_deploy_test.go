package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// deployServer checks the multipart upload, then answers with events.
func deployServer(t *testing.T, events []DeployEvent) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/functions/greet/deploy" {
			writeJSON(w, 404, ErrorResponse{Error: ErrorBody{Code: lambda.ENOTFOUND, Message: "wrong route " + r.URL.Path}})
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			writeJSON(w, 400, ErrorResponse{Error: ErrorBody{Code: lambda.EINVALID, Message: err.Error()}})
			return
		}
		var parts []string
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				writeJSON(w, 400, ErrorResponse{Error: ErrorBody{Code: lambda.EINVALID, Message: err.Error()}})
				return
			}
			b, _ := io.ReadAll(p)
			parts = append(parts, p.FormName()+"|"+p.Header.Get("Content-Type")+"|"+string(b))
		}
		want := []string{
			`config|application/json|{"config":{"runtime":"go","protocol":"","port":0,"memory_bytes":0,"timeout":"0s"}}`,
			"code|application/gzip|TARBALL",
		}
		if !reflect.DeepEqual(parts, want) {
			writeJSON(w, 400, ErrorResponse{Error: ErrorBody{Code: lambda.EINVALID, Message: "parts " + strings.Join(parts, ";")}})
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		for _, ev := range events {
			_ = enc.Encode(ev)
			w.(http.Flusher).Flush()
		}
	}
}

func TestDeploy(t *testing.T) {
	detail := &FunctionDetail{Name: "greet", URL: "http://greet.localhost:8080"}
	result := &DeployResult{FunctionDetail: *detail, Changed: true}
	steps := []DeployEvent{
		{Type: EventStep, Step: 2, Total: 3, Message: `Building image "func-greet"`},
		{Type: EventLog, Message: "Step 1/2 : FROM scratch\n"},
		{Type: EventStep, Step: 3, Total: 3, Message: "Starting container"},
	}
	tests := []struct {
		name       string
		events     []DeployEvent
		want       *DeployResult
		wantCode   string
		wantErr    string
		wantEvents int
	}{
		{"done", append(steps, DeployEvent{Type: EventDone, Function: detail}), result, "", "", 3},
		{"error event", append(steps, DeployEvent{Type: EventError, Error: &ErrorBody{Code: lambda.EINVALID, Message: "build failed: exit 1"}}),
			nil, lambda.EINVALID, "build failed: exit 1", 3},
		{"stream cut short", steps, nil, lambda.EINTERNAL, "ended the deploy stream without a result", 3},
		{"unknown events are passed on", []DeployEvent{{Type: "warning", Message: "w"}, {Type: EventDone, Function: detail}}, result, "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, deployServer(t, tt.events))
			var seen []DeployEvent
			got, err := c.Deploy(context.Background(), "greet", DeployRequest{Config: lambda.Config{Runtime: "go"}},
				strings.NewReader("TARBALL"), func(ev DeployEvent) { seen = append(seen, ev) })
			if tt.wantErr != "" {
				if lambda.ErrorCode(err) != tt.wantCode || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v (code %q), want %q containing %q", err, lambda.ErrorCode(err), tt.wantCode, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("detail = %+v, want %+v", got, tt.want)
			}
			if len(seen) != tt.wantEvents {
				t.Errorf("saw %d events, want %d: %+v", len(seen), tt.wantEvents, seen)
			}
		})
	}
}

func TestDeployPlainErrorBeforeReadingUpload(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 413, ErrorResponse{Error: ErrorBody{Code: lambda.ETOOLARGE, Message: "code archive is over 50 MB"}})
	})
	// A large upload the server never reads must not hang the client.
	code := io.LimitReader(zeros{}, 64<<20)
	_, err := c.Deploy(context.Background(), "greet", DeployRequest{}, code, nil)
	var le *lambda.Error
	if !errors.As(err, &le) || le.Code != lambda.ETOOLARGE || le.Message != "code archive is over 50 MB" {
		t.Fatalf("err = %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDeployCodeReadError(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, 400, ErrorResponse{Error: ErrorBody{Code: lambda.EINVALID, Message: "bad upload"}})
	})
	_, err := c.Deploy(context.Background(), "greet", DeployRequest{}, failingReader{}, nil)
	if err == nil || err.Error() != "upload code: disk on fire" {
		t.Fatalf("err = %v", err)
	}
}
