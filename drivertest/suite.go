// Package drivertest holds what tests of lambda.Driver share: the suite
// every implementation must pass (Run), the test server image it runs
// (TestImage), and an in-memory Fake for tests of the packages above the
// driver.
package drivertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// Run checks that the driver returned by newDriver, an engine that both
// builds images and runs instances, honours the contracts of
// lambda.ImageBuilder and lambda.InstanceDriver against the test server
// image. Everything it creates is removed when the test ends.
func Run(t *testing.T, newDriver func(t *testing.T) lambda.Driver) {
	d := newDriver(t)
	s := newSuite(t, InstanceTarget{Driver: d, Images: d, Pausable: true})
	s.run(t, append([]suiteTest{
		{"BuildImage", s.testBuildImage},
		{"BuildFailsOnMissingFile", s.testBuildFails},
		{"BuildRejectsBadContext", s.testBuildRejects},
		{"ImageExistsMissing", s.testImageMissing},
		{"PullUnreachable", s.testPullUnreachable},
		{"RemoveImage", s.testRemoveImage},
	}, s.instanceTests()...))
}

// InstanceTarget is an instance driver under test and the engine that
// builds the images it runs.
type InstanceTarget struct {
	Driver lambda.InstanceDriver
	Images lambda.ImageBuilder
	// Registry, when set (HOST:PORT), is where the test images are pushed
	// and what instances are started from: a cluster's nodes pull them.
	Registry string
	// Pausable tells whether Driver freezes instances; one that does not
	// must refuse PauseInstance with ENOTIMPLEMENTED.
	Pausable bool
	// Dial, when set, connects to instance addresses (a cluster's task
	// addresses are reachable only from its overlay network).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Capacity, when set, is what Driver.Capacity must answer; 0: any
	// positive number.
	Capacity func(t *testing.T) int
	// Unpush, when set, deletes the pushed test image from Registry at
	// the end, so that test runs leave nothing there.
	Unpush lambda.ImageRegistry
}

// RunInstances checks that target.Driver honours lambda.InstanceDriver:
// the suite every instance driver passes, the local one (in Run) and
// Swarm's.
func RunInstances(t *testing.T, newTarget func(t *testing.T) InstanceTarget) {
	s := newSuite(t, newTarget(t))
	s.run(t, s.instanceTests())
}

type suiteTest struct {
	name string
	fn   func(t *testing.T)
}

func (s *suite) instanceTests() []suiteTest {
	return []suiteTest{
		{"StartRejectsBadSpec", s.testStartInvalid},
		{"StartMissingImage", s.testStartMissingImage},
		{"InstanceLifecycle", s.testLifecycle},
		{"WatchExits", s.testWatchExits},
		{"PauseUnpause", s.testPause},
		{"FollowLogs", s.testFollowLogs},
		{"MissingInstance", s.testMissingInstance},
		{"Capacity", s.testCapacity},
		{"Preinit", s.testPreinit},
		{"Precreate", s.testPrecreate},
		{"PrecreateHolder", s.testPrecreateHolder},
	}
}

func newSuite(t *testing.T, target InstanceTarget) *suite {
	s := &suite{b: target.Images, d: target.Driver, registry: target.Registry, pausable: target.Pausable, capacity: target.Capacity, prefix: "drivertest-" + randHex(4)}
	ctx := testContext(t)
	if err := s.d.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	s.imageID, s.tag, s.buildLog = s.build(t, "base")
	s.missing = s.prefix + "-nothing:v1"
	if target.Dial != nil {
		s.client = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, DialContext: target.Dial}}
	}
	if s.registry != "" {
		s.missing = s.registry + "/" + s.missing
		s.tag = s.registry + "/" + s.tag
		var err error
		if s.imageID, err = s.b.PushImage(ctx, s.imageID, s.tag, nil); err != nil {
			t.Fatalf("PushImage %s: %v", s.tag, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = s.b.RemoveImage(ctx, s.tag)
			_ = s.b.RemoveImage(ctx, s.imageID)
			if target.Unpush != nil {
				if err := target.Unpush.DeleteImage(ctx, s.imageID); err != nil {
					t.Errorf("delete the test image from the registry: %v", err)
				}
			}
		})
	}
	return s
}

func (s *suite) run(t *testing.T, tests []suiteTest) {
	t.Run("group", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.fn(t)
			})
		}
	})
}

type suite struct {
	b        lambda.ImageBuilder
	d        lambda.InstanceDriver
	registry string // HOST:PORT instances' images are pushed to; "" local
	pausable bool
	prefix   string // names every image of this run
	imageID  string // what instances start from: an ID, or a pushed digest reference
	tag      string // a tag of the same image
	missing  string // a reference to no image
	buildLog string
	client   *http.Client // nil: httpClient
	capacity func(t *testing.T) int
}

// build builds the test image tagged <prefix>-<name>:v1, with a label
// unique to this run so that no other test shares the image.
func (s *suite) build(t *testing.T, name string) (id, tag, log string) {
	t.Helper()
	tag = s.prefix + "-" + name + ":v1"
	var out bytes.Buffer
	id, err := s.b.BuildImage(testContext(t), lambda.BuildRequest{
		Context: bytes.NewReader(TestImage(t)),
		Tags:    []string{tag},
		Labels:  map[string]string{lambda.LabelManaged: "true", "drivertest.image": s.prefix + "-" + name},
		Output:  &out,
	})
	if err != nil {
		t.Fatalf("BuildImage %s: %v\nlog:\n%s", tag, err, out.String())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.b.RemoveImage(ctx, tag)
		_ = s.b.RemoveImage(ctx, id)
	})
	return id, tag, out.String()
}

// start starts an instance of the image and stops it when the test ends.
func (s *suite) start(t *testing.T, image, function string, env map[string]string) *lambda.Instance {
	t.Helper()
	spec := lambda.InstanceSpec{Function: function, Version: 7, Image: image, Env: env, Port: 8080, MemoryBytes: 64 << 20}
	inst, err := s.d.StartInstance(testContext(t), spec)
	if err != nil {
		t.Fatalf("StartInstance: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.d.StopInstance(ctx, inst.ID, 0); err != nil {
			t.Errorf("cleanup: StopInstance %s: %v", inst.ID, err)
		}
	})
	if inst.ID == "" || inst.Addr == "" || inst.Function != function || inst.Version != 7 || !inst.Running {
		t.Fatalf("StartInstance returned %+v, want an ID, an address, function %s, version 7, running", inst, function)
	}
	return inst
}

// findInstance returns the listed instance with id, or nil.
func (s *suite) findInstance(t *testing.T, id string) *lambda.Instance {
	t.Helper()
	list, err := s.d.ListInstances(testContext(t))
	if err != nil {
		t.Fatalf("ListInstances: %v", err)
	}
	for _, inst := range list {
		if inst.ID == id {
			return inst
		}
	}
	return nil
}

var httpClient = &http.Client{
	Timeout:   3 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// get requests path from addr, retrying with a short backoff until the
// instance answers 200 or 15 seconds have passed: a started instance may
// not listen yet.
func get(t *testing.T, addr, path string) string {
	t.Helper()
	return getWith(t, httpClient, addr, path)
}

// get is the package's get through the target's dialer, if it has one.
func (s *suite) get(t *testing.T, addr, path string) string {
	t.Helper()
	if s.client == nil {
		return getWith(t, httpClient, addr, path)
	}
	return getWith(t, s.client, addr, path)
}

func getWith(t *testing.T, c *http.Client, addr, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	wait := 20 * time.Millisecond
	for {
		resp, err := c.Get("http://" + addr + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			err = errors.New(resp.Status + ": " + string(body))
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET http://%s%s: %v", addr, path, err)
		}
		time.Sleep(wait)
		wait = min(wait*2, 500*time.Millisecond)
	}
}

// eventually retries cond for up to 15 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := lambda.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' })
}
