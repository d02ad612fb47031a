package drivertest

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// maxLogLines bounds an instance's log, as Docker's log rotation would.
const maxLogLines = 10000

type fakeInstance struct {
	inst      lambda.Instance // guarded by Fake.mu
	spec      lambda.InstanceSpec
	namespace string
	imageID   string
	srv       *httptest.Server
	logs      []string      // guarded by Fake.mu
	logAt     []time.Time   // when each of logs was written; guarded by Fake.mu
	logTotal  int64         // lines logged ever, trimmed ones included; guarded by Fake.mu
	stopping  bool          // guarded by Fake.mu: the server is being shut down
	frozen    chan struct{} // guarded by Fake.mu: non-nil while paused, closed by the unpause
	holder    string        // the network holder it was created in (fake_holder.go)
}

// StartInstance validates spec as the Docker driver does and starts an
// HTTP server for it on a free port of 127.0.0.1.
func (f *Fake) StartInstance(ctx context.Context, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.specs = append(f.specs, spec)
	img := f.resolveLocked(spec.Image)
	if img == nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "image %q of %s v%d not found: build or pull it first", spec.Image, spec.Function, spec.Version)
	}
	fi := &fakeInstance{spec: spec, imageID: img.ID, namespace: f.Namespace}
	fi.srv = httptest.NewServer(f.serve(fi))
	fi.inst = lambda.Instance{
		ID:        randHex(32),
		Function:  spec.Function,
		Version:   spec.Version,
		Addr:      fi.srv.Listener.Addr().String(),
		Running:   true,
		CreatedAt: time.Now(),
	}
	f.instances[fi.inst.ID] = fi
	f.logLocked(fi, fmt.Sprintf("%s on :%d", StartLine, spec.Port))
	inst := fi.inst
	return &inst, nil
}

// serve wraps the current handler for one instance.
func (f *Fake) serve(fi *fakeInstance) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.waitThawed(r.Context(), fi) {
			return
		}
		f.mu.Lock()
		h, inst := f.Handler, fi.inst
		f.mu.Unlock()
		w.Header().Set("X-Drivertest-Instance", inst.ID)
		w.Header().Set("X-Drivertest-Function", inst.Function)
		w.Header().Set("X-Drivertest-Version", strconv.Itoa(inst.Version))
		if h != nil {
			h.ServeHTTP(w, r)
			return
		}
		f.testServer(fi, w, r)
	})
}

// testServer mimics testserver/main.go for an instance of spec.
func (f *Fake) testServer(fi *fakeInstance, w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/env/"):
		name := strings.TrimPrefix(p, "/env/")
		v := fi.spec.Env[name]
		if name == "PORT" {
			v = strconv.Itoa(fi.spec.Port)
		}
		io.WriteString(w, v)
	case r.Method == http.MethodGet && p == "/id":
		io.WriteString(w, "uid=1000 gid=1000")
	case r.Method == http.MethodPost && p == "/write":
		if target := r.URL.Query().Get("path"); !strings.HasPrefix(target, "/tmp/") {
			http.Error(w, "open "+target+": read-only file system", http.StatusForbidden)
			return
		}
		io.WriteString(w, "written")
	case r.Method == http.MethodGet && p == "/exit":
		// A complete response before the "process" goes away.
		w.Header().Set("Content-Length", "3")
		io.WriteString(w, "bye")
		w.(http.Flusher).Flush()
		f.log(fi, ExitLine)
		go f.exit(fi, time.Second, 3, false)
	default:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		f.log(fi, fmt.Sprintf("drivertest server request %s %s", r.Method, p))
		fmt.Fprintf(w, "%s %s %s", r.Method, p, strings.TrimSpace(string(body)))
	}
}

func (f *Fake) log(fi *fakeInstance, line string) {
	f.mu.Lock()
	f.logLocked(fi, line)
	f.mu.Unlock()
}

func (f *Fake) logLocked(fi *fakeInstance, line string) {
	fi.logs = append(fi.logs, line)
	fi.logAt = append(fi.logAt, time.Now())
	fi.logTotal++
	if len(fi.logs) > maxLogLines {
		fi.logs = fi.logs[len(fi.logs)-maxLogLines:]
		fi.logAt = fi.logAt[len(fi.logAt)-maxLogLines:]
	}
	f.wakeLogsLocked()
}

// exit ends a running instance after grace for its requests in flight,
// and reports it; the instance stays listed, not running.
func (f *Fake) exit(fi *fakeInstance, grace time.Duration, code int, oom bool) {
	f.mu.Lock()
	if fi.stopping {
		f.mu.Unlock()
		return
	}
	fi.stopping = true
	f.thawLocked(fi) // Docker thaws a paused container to stop it
	f.mu.Unlock()
	shutdown(fi, grace)
	f.mu.Lock()
	fi.inst.Running = false
	f.wakeLogsLocked()
	f.notifyLocked(lambda.Exit{ID: fi.inst.ID, ExitCode: code, OOMKilled: oom}, fi.namespace)
	f.mu.Unlock()
}

// shutdown refuses new connections at once, waits up to grace for the
// requests in flight, then cuts the rest. Handlers that ignore their
// context are left to finish in the background, like a process that is
// killed while its client still waits.
//
// http.Server.Shutdown, not a count of running handlers: a handler that has
// returned may not have had its answer written yet, and cutting the
// connection then lost it (TestFakeStopWaitsForRequests read EOF once in
// a whole-tree run).
func shutdown(fi *fakeInstance, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = fi.srv.Config.Shutdown(ctx) // an error: grace ran out, cut below
	fi.srv.CloseClientConnections()
	go fi.srv.Close()
}

// Kill simulates a crash of instance id (SIGKILL, status 137): its server
// stops at once and the exit is reported on WatchExits. The instance
// stays listed, not running.
func (f *Fake) Kill(id string) error { return f.kill(id, "killed", false) }

// OOM simulates the kernel killing instance id at its memory limit: as
// Kill, with the exit reported as OOMKilled.
func (f *Fake) OOM(id string) error { return f.kill(id, "out of memory: killed", true) }

// OOMNotice reports again the exit of instance id of f's namespace, which
// Kill ended (and the platform may have removed since), as OOMKilled:
// Docker's oom event when the kernel's notice reached the daemon after the
// process's death, whose die event did not know it.
func (f *Fake) OOMNotice(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notifyLocked(lambda.Exit{ID: id, ExitCode: 137, OOMKilled: true}, f.Namespace)
}

func (f *Fake) kill(id, line string, oom bool) error {
	f.mu.Lock()
	fi := f.instances[id]
	if fi == nil {
		f.mu.Unlock()
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	f.logLocked(fi, line)
	f.mu.Unlock()
	f.exit(fi, 0, 137, oom)
	return nil
}

// StopInstance shuts the instance down (after grace for requests in
// flight) and forgets it. A missing instance is not an error.
func (f *Fake) StopInstance(ctx context.Context, id string, grace time.Duration) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	fi := f.instances[id]
	delete(f.instances, id)
	if fi != nil {
		f.removeHolderLocked(fi.holder)
	}
	f.removeHolderLocked(id) // a leftover holder itself
	f.mu.Unlock()
	// A created instance never ran (fake_precreate.go): nothing exits.
	if fi != nil && fi.srv != nil {
		f.exit(fi, grace, 0, false)
	}
	return nil
}

// ListInstances lists the instances not yet stopped, oldest first.
func (f *Fake) ListInstances(ctx context.Context) ([]*lambda.Instance, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*lambda.Instance, 0, len(f.instances))
	for _, fi := range f.instances {
		if !f.sees(fi.namespace) {
			continue
		}
		inst := fi.inst
		out = append(out, &inst)
	}
	out = append(out, f.leftoverHoldersLocked()...)
	slices.SortFunc(out, func(a, b *lambda.Instance) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// InstanceLogs returns the last tail lines the instance "printed".
func (f *Fake) InstanceLogs(ctx context.Context, id string, tail int) (string, error) {
	if err := f.check(ctx); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.instances[id]
	if fi == nil {
		return "", lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	lines := fi.logs
	if tail > 0 && len(lines) > tail {
		lines = lines[len(lines)-tail:]
	}
	if len(lines) == 0 {
		return "", nil
	}
	return strings.Join(lines, "\n") + "\n", nil
}
