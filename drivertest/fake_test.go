package drivertest

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestFakeSuite(t *testing.T) {
	Run(t, func(t *testing.T) lambda.Driver { return NewFake() })
}

func newFakeWithImage(t *testing.T) (*Fake, string) {
	t.Helper()
	f := NewFake()
	id, err := f.BuildImage(t.Context(), lambda.BuildRequest{
		Context: bytes.NewReader(Tar(t, File{Name: "Dockerfile", Data: []byte(Dockerfile)}, File{Name: "server", Data: []byte("bin")})),
		Tags:    []string{"fn:v1"},
		Labels:  map[string]string{lambda.LabelManaged: "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, id
}

func TestFakeDown(t *testing.T) {
	f, id := newFakeWithImage(t)
	ctx := t.Context()
	inst, err := f.StartInstance(ctx, lambda.InstanceSpec{Function: "fn", Version: 1, Image: id, Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	f.SetDown(true)
	calls := map[string]func() error{
		"Ping":        func() error { return f.Ping(ctx) },
		"BuildImage":  func() error { _, err := f.BuildImage(ctx, lambda.BuildRequest{}); return err },
		"ImageExists": func() error { _, err := f.ImageExists(ctx, id); return err },
		"PullImage":   func() error { return f.PullImage(ctx, "fn:v1", nil) },
		"RemoveImage": func() error { return f.RemoveImage(ctx, id) },
		"StartInstance": func() error {
			_, err := f.StartInstance(ctx, lambda.InstanceSpec{Function: "fn", Image: id, Port: 1})
			return err
		},
		"StopInstance":  func() error { return f.StopInstance(ctx, inst.ID, 0) },
		"ListInstances": func() error { _, err := f.ListInstances(ctx); return err },
		"InstanceLogs":  func() error { _, err := f.InstanceLogs(ctx, inst.ID, 1); return err },
	}
	for name, call := range calls {
		if err := call(); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
			t.Errorf("%s while down: %v, want EUNAVAILABLE", name, err)
		}
	}
	if ch, err := f.WatchExits(ctx); err != nil || ch == nil {
		t.Errorf("WatchExits while down = %v, %v; want a channel, like the Docker driver", ch, err)
	}
	if got := get(t, inst.Addr, "/env/PORT"); got != "8080" {
		t.Errorf("a running instance stopped serving while the engine is down: %q", got)
	}
	if len(f.Specs()) != 1 {
		t.Errorf("Specs recorded a call made while down: %+v", f.Specs())
	}
	f.SetDown(false)
	if err := f.Ping(ctx); err != nil {
		t.Errorf("Ping after SetDown(false): %v", err)
	}
	if err := f.StopInstance(ctx, inst.ID, 0); err != nil {
		t.Error(err)
	}
}

func TestFakeKill(t *testing.T) {
	tests := []struct {
		name string
		kill func(f *Fake, id string) error
		want lambda.Exit
	}{
		{"Kill", (*Fake).Kill, lambda.Exit{ExitCode: 137}},
		{"OOM", (*Fake).OOM, lambda.Exit{ExitCode: 137, OOMKilled: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, id := newFakeWithImage(t)
			ctx := t.Context()
			exits, _ := f.WatchExits(ctx)
			inst, err := f.StartInstance(ctx, lambda.InstanceSpec{Function: "fn", Version: 2, Image: id, Port: 8080})
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.kill(f, inst.ID); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-exits:
				if want := (lambda.Exit{ID: inst.ID, ExitCode: tt.want.ExitCode, OOMKilled: tt.want.OOMKilled}); got != want {
					t.Errorf("exit %+v reported, want %+v", got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s was not reported", tt.name)
			}
			if _, err := httpClient.Get("http://" + inst.Addr + "/"); err == nil {
				t.Error("a killed instance still answers")
			}
			list, _ := f.ListInstances(ctx)
			if len(list) != 1 || list[0].Running {
				t.Errorf("after %s, ListInstances = %+v; want the instance, not running", tt.name, list)
			}
			if err := tt.kill(f, "nope"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
				t.Errorf("%s of a missing instance: %v", tt.name, err)
			}
		})
	}
}

func TestFakeHandlerAndSpecs(t *testing.T) {
	f, id := newFakeWithImage(t)
	f.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "custom") })
	spec := lambda.InstanceSpec{Function: "fn", Version: 3, Image: "fn:v1", Env: map[string]string{"A": "b"}, Port: 9000, MemoryBytes: 1 << 20}
	inst, err := f.StartInstance(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Get("http://" + inst.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "custom" || resp.Header.Get("X-Drivertest-Function") != "fn" || resp.Header.Get("X-Drivertest-Version") != "3" || resp.Header.Get("X-Drivertest-Instance") != inst.ID {
		t.Errorf("got %q with headers %v", body, resp.Header)
	}
	f.SetHandler(nil)
	if got := get(t, inst.Addr, "/env/A"); got != "b" {
		t.Errorf("default handler after SetHandler(nil): %q", got)
	}
	specs := f.Specs()
	if len(specs) != 1 || specs[0].Function != "fn" || specs[0].Env["A"] != "b" || specs[0].Port != 9000 {
		t.Errorf("Specs() = %+v", specs)
	}
	specs[0].Env["A"] = "changed"
	if f.Specs()[0].Env["A"] != "b" {
		t.Error("Specs() shares its maps with the caller")
	}
	img, ok := f.Image("fn:v1")
	if !ok || img.ID != id || img.Labels[lambda.LabelManaged] != "true" || !slices.Equal(img.Tags, []string{"fn:v1"}) {
		t.Errorf("Image(fn:v1) = %+v, %v", img, ok)
	}
}

func TestFakeStopWaitsForRequests(t *testing.T) {
	f, id := newFakeWithImage(t)
	release, arrived := make(chan struct{}), make(chan struct{})
	f.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		io.WriteString(w, "done")
	})
	inst, err := f.StartInstance(t.Context(), lambda.InstanceSpec{Function: "fn", Image: id, Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan string, 1)
	go func() {
		resp, err := httpClient.Get("http://" + inst.Addr + "/")
		if err != nil {
			answered <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- string(b)
	}()
	select { // the request is in flight
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the request never reached the instance")
	}
	time.AfterFunc(100*time.Millisecond, func() { close(release) })
	if err := f.StopInstance(t.Context(), inst.ID, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := <-answered; got != "done" {
		t.Errorf("request in flight during a graceful stop got %q, want it answered", got)
	}
}

func TestFakeRemoveImage(t *testing.T) {
	tests := []struct {
		name   string
		tags   []string
		inUse  bool
		remove string
		code   string
		exists bool // the image, by ID, afterwards
	}{
		{"last tag", []string{"a:v1"}, false, "a:v1", "", false},
		{"one of two tags", []string{"a:v1", "b:v1"}, false, "a:v1", "", true},
		{"one of two tags in use", []string{"a:v1", "b:v1"}, true, "a:v1", "", true},
		{"last tag in use", []string{"a:v1"}, true, "a:v1", lambda.ECONFLICT, true},
		{"ID with two tags", []string{"a:v1", "b:v1"}, false, "ID", lambda.ECONFLICT, true},
		{"ID with one tag", []string{"a:v1"}, false, "ID", "", false},
		{"implicit latest", []string{"a"}, false, "a:latest", "", false},
		{"missing", []string{"a:v1"}, false, "zzz:v1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake()
			ctx := t.Context()
			id, err := f.BuildImage(ctx, lambda.BuildRequest{Context: bytes.NewReader(Tar(t, File{Name: "Dockerfile", Data: []byte("FROM scratch\n")})), Tags: tt.tags})
			if err != nil {
				t.Fatal(err)
			}
			if tt.inUse {
				if _, err := f.StartInstance(ctx, lambda.InstanceSpec{Function: "f", Image: id, Port: 1}); err != nil {
					t.Fatal(err)
				}
			}
			ref := tt.remove
			if ref == "ID" {
				ref = id
			}
			if got := lambda.ErrorCode(f.RemoveImage(ctx, ref)); got != tt.code {
				t.Errorf("RemoveImage(%s): code %q, want %q", ref, got, tt.code)
			}
			if ok, _ := f.ImageExists(ctx, id); ok != tt.exists {
				t.Errorf("image exists afterwards: %v, want %v", ok, tt.exists)
			}
		})
	}
}

func TestFakeBuildChecks(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		wantErr    string
	}{
		{"copy glob", "FROM scratch\nCOPY *.txt /\n", ""},
		{"copy dir", "FROM scratch\nCOPY dir /dir\n", ""},
		{"add url", "FROM scratch\nADD https://example.com/x /x\n", ""},
		{"multi-stage", "FROM base:v1 AS build\nFROM scratch\nCOPY --from=build /nope /x\n", ""},
		{"unknown base", "FROM nothing:v1\n", "pull access denied for nothing:v1"},
		{"missing ADD source", "FROM scratch\nADD nope /x\n", "ADD failed: file not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake()
			base := Tar(t, File{Name: "Dockerfile", Data: []byte("FROM scratch\n")})
			if _, err := f.BuildImage(t.Context(), lambda.BuildRequest{Context: bytes.NewReader(base), Tags: []string{"base:v1"}}); err != nil {
				t.Fatal(err)
			}
			ctx := Tar(t, File{Name: "Dockerfile", Data: []byte(tt.dockerfile)}, File{Name: "a.txt"}, File{Name: "dir/b"})
			_, err := f.BuildImage(t.Context(), lambda.BuildRequest{Context: bytes.NewReader(ctx)})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestFakeConcurrentUse(t *testing.T) {
	f, id := newFakeWithImage(t)
	ctx := t.Context()
	exits, _ := f.WatchExits(ctx)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			inst, err := f.StartInstance(ctx, lambda.InstanceSpec{Function: "fn", Version: i, Image: id, Port: 8080})
			if err != nil {
				t.Error(err)
				return
			}
			if resp, err := httpClient.Get("http://" + inst.Addr + "/x"); err != nil {
				t.Error(err)
			} else {
				resp.Body.Close()
			}
			_, _ = f.ListInstances(ctx)
			_, _ = f.InstanceLogs(ctx, inst.ID, 5)
			if i%2 == 0 {
				_ = f.Kill(inst.ID)
			}
			if err := f.StopInstance(ctx, inst.ID, 10*time.Millisecond); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for range 8 {
		select {
		case <-exits:
		case <-time.After(5 * time.Second):
			t.Fatal("not every exit was reported")
		}
	}
	if list, _ := f.ListInstances(ctx); len(list) != 0 {
		t.Errorf("%d instances left", len(list))
	}
}

func FuzzFakeBuildImage(f *testing.F) {
	f.Add(Tar(f, File{Name: "Dockerfile", Data: []byte(Dockerfile)}, File{Name: "server"}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, context []byte) {
		fake := NewFake()
		id, err := fake.BuildImage(t.Context(), lambda.BuildRequest{Context: bytes.NewReader(context), Tags: []string{"x:v1"}})
		if err == nil {
			if ok, _ := fake.ImageExists(t.Context(), "x:v1"); !ok || id == "" {
				t.Fatal("a successful build left no image")
			}
		} else if lambda.ErrorCode(err) != lambda.EINVALID {
			t.Fatalf("a bad build context gave %v, want EINVALID", err)
		}
	})
}
