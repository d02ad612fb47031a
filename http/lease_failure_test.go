package http

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/lambdahq/lambda"
)

// diagnosingRouter gives fakeRouter's leases a diagnosis, and records
// whether it was asked before the lease was released.
type diagnosingRouter struct {
	*fakeRouter
	why           error
	askedReleased []bool // per Failure call: had the lease been released?
}

func (d *diagnosingRouter) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	l, err := d.fakeRouter.Acquire(ctx, name)
	if err != nil {
		return nil, err
	}
	l.Diagnose = func(context.Context) error {
		_, released := d.counts()
		d.askedReleased = append(d.askedReleased, len(released) > 0)
		return d.why
	}
	return l, nil
}

// TestGatewayAsksWhyInstanceBroke: when an instance breaks the connection,
// the gateway tells the client what the lease knows (out of memory...),
// and falls back to the transport error when it knows nothing.
func TestGatewayAsksWhyInstanceBroke(t *testing.T) {
	oom := lambda.Errorf(lambda.EOUTOFMEMORY, `function "greet" ran out of memory (limit 32m) and was stopped`)
	tests := []struct {
		name string
		why  error
		code string
		want string
	}{
		{"known", oom, lambda.EOUTOFMEMORY, oom.Message},
		{"unknown", nil, lambda.EFUNCTION, `function "greet" failed to answer: EOF`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fr := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
			}))
			r := &diagnosingRouter{fakeRouter: fr, why: tt.why}
			s.Router = r
			resp := send(s, "GET", "greet.localhost", "/", nil)
			var e ErrorResponse
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != 502 || e.Error.Code != tt.code || e.Error.Message != tt.want {
				t.Errorf("got %d %+v, want 502 %s %q", resp.StatusCode, e, tt.code, tt.want)
			}
			if len(r.askedReleased) != 1 || r.askedReleased[0] {
				t.Errorf("Failure asked %d times (released before: %v), want once, before the release", len(r.askedReleased), r.askedReleased)
			}
			if _, released := fr.counts(); len(released) != 1 || !released[0] {
				t.Errorf("lease released %v, want once, failed", released)
			}
		})
	}
}
