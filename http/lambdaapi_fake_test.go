package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeFunctionStore holds functions and the version numbers each has.
// Methods the Invoke API does not use panic through the nil interface.
type fakeFunctionStore struct {
	lambda.FunctionStore
	fns      map[string]*lambda.Function
	versions map[string][]int
}

func (f *fakeFunctionStore) FindFunction(_ context.Context, name string) (*lambda.Function, error) {
	if fn, ok := f.fns[name]; ok {
		return fn, nil
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
}

// ListFunctions lists them by name (the "did you mean" hint reads it).
func (f *fakeFunctionStore) ListFunctions(context.Context) ([]*lambda.Function, error) {
	fns := make([]*lambda.Function, 0, len(f.fns))
	for _, fn := range f.fns {
		fns = append(fns, fn)
	}
	slices.SortFunc(fns, func(a, b *lambda.Function) int { return strings.Compare(a.Name, b.Name) })
	return fns, nil
}

func (f *fakeFunctionStore) FindVersion(_ context.Context, name string, n int) (*lambda.Version, error) {
	for _, v := range f.versions[name] {
		if v == n {
			return &lambda.Version{Function: name, Number: n}, nil
		}
	}
	return nil, lambda.Errorf(lambda.ENOTFOUND, "version %d of function %q not found", n, name)
}

func (f *fakeFunctionStore) add(name string, active int, protocol string, timeout time.Duration, versions ...int) {
	cfg := lambda.Config{Protocol: protocol, Timeout: lambda.Duration(timeout)}
	f.fns[name] = &lambda.Function{Name: name, ActiveVersion: active, Active: &lambda.Version{Function: name, Number: active, Config: cfg}}
	f.versions[name] = append(versions, active)
}

// storeRouter leases the active version of a stored function at its
// backend, or fails with the error set for it.
type storeRouter struct {
	store *fakeFunctionStore
	addrs map[string]string
	errs  map[string]error
}

func (r *storeRouter) Acquire(ctx context.Context, name string) (*lambda.Lease, error) {
	if err := r.errs[name]; err != nil {
		return nil, err
	}
	fn, err := r.store.FindFunction(ctx, name)
	if err != nil {
		return nil, err
	}
	version := fn.ActiveVersion
	if q, err := lambda.ParseQualifier(lambda.QualifierFrom(ctx)); err == nil && q.Version != 0 {
		version = q.Version // as the engine routes a version number
	}
	return &lambda.Lease{Function: name, Version: version, Addr: r.addrs[name], Timeout: time.Duration(fn.Active.Config.Timeout)}, nil
}

// shimCall is what the fake shim saw of one request.
type shimCall struct {
	header http.Header
	body   string
}

// fakeShim emulates the in-container shim for direct invocations
// (docs/runtime-contract.md): the event's "do" field picks the outcome.
type fakeShim struct {
	mu    sync.Mutex
	calls []shimCall
}

func (s *fakeShim) last() shimCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		return shimCall{}
	}
	return s.calls[len(s.calls)-1]
}

func (s *fakeShim) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

func (s *fakeShim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.calls = append(s.calls, shimCall{header: r.Header.Clone(), body: string(body)})
	s.mu.Unlock()
	var event struct{ Do string }
	_ = json.Unmarshal(body, &event)
	id := r.Header.Get(HeaderRequestID)
	if r.Header.Get(HeaderLogType) == "Tail" {
		w.Header().Set(HeaderLogResult, base64.StdEncoding.EncodeToString([]byte("log of "+id+"\n")))
	}
	w.Header().Set("Content-Type", "application/json")
	switch event.Do {
	case "fail":
		w.Header().Set(HeaderFunctionError, "Unhandled")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
	case "timeout":
		w.WriteHeader(http.StatusGatewayTimeout)
		_, _ = io.WriteString(w, `{"errorMessage":"Task timed out after 2 seconds","errorType":"Timeout"}`)
	case "hangup":
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	default:
		_, _ = w.Write(body)
	}
}

// fakeHTTPFunction is a protocol-http function: no shim, its answer as is.
func fakeHTTPFunction(w http.ResponseWriter, r *http.Request) {
	var event struct {
		Status int
		Sleep  bool
	}
	_ = json.NewDecoder(r.Body).Decode(&event)
	if event.Sleep {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	if event.Status != 0 {
		w.Header().Set(ErrorHeader, lambda.ENOTFOUND) // must not pass for the platform's
		w.WriteHeader(event.Status)
	}
	_, _ = io.WriteString(w, "busy")
}

// newLambdaAPIServer serves greet (aws protocol, active 7 of 1-7) and web
// (http protocol) from fakes; down and busy fail to start.
func newLambdaAPIServer(t *testing.T) (*httptest.Server, *fakeShim) {
	t.Helper()
	shim := &fakeShim{}
	shimSrv := httptest.NewServer(shim)
	t.Cleanup(shimSrv.Close)
	webSrv := httptest.NewServer(http.HandlerFunc(fakeHTTPFunction))
	t.Cleanup(webSrv.Close)
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	store.add("greet", 7, lambda.ProtocolAWS, 2*time.Second, 1, 2, 3, 4, 5, 6)
	store.add("web", 1, lambda.ProtocolHTTP, 200*time.Millisecond)
	store.add("down", 1, lambda.ProtocolAWS, time.Second)
	store.add("busy", 1, lambda.ProtocolAWS, time.Second)
	s := openForTest(NewServer())
	s.Store = store
	s.Router = &storeRouter{store: store,
		addrs: map[string]string{"greet": shimSrv.Listener.Addr().String(), "web": webSrv.Listener.Addr().String()},
		errs: map[string]error{
			"down": lambda.Errorf(lambda.EUNAVAILABLE, "docker is unreachable"),
			"busy": lambda.Errorf(lambda.ETHROTTLED, "function %q is at its max instances", "busy"),
		}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, shim
}
