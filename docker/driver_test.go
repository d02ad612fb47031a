package docker

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// newTestDriver returns a driver for the local Docker engine, skipping the
// test (failing it when CI=true) if there is none.
func newTestDriver(t *testing.T) *Driver {
	t.Helper()
	d, err := New()
	if err == nil {
		t.Cleanup(func() { d.Close() })
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err = d.Ping(ctx)
	}
	drivertest.SkipOrFailWithoutDocker(t, err)
	return d
}

func TestDriverSuite(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) lambda.Driver { return newTestDriver(t) })
}

func TestDriverNamespaces(t *testing.T) {
	drivertest.RunNamespaces(t, func(t *testing.T, namespace string) drivertest.ImageEngine {
		d := newTestDriver(t)
		d.Namespace = namespace
		return d
	})
}

func TestUnreachableDocker(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	d, err := New()
	if err != nil {
		t.Fatalf("New must not need a running Docker: %v", err)
	}
	defer d.Close()
	ctx := t.Context()
	calls := map[string]func() error{
		"Ping": func() error { return d.Ping(ctx) },
		"BuildImage": func() error {
			_, err := d.BuildImage(ctx, lambda.BuildRequest{Context: strings.NewReader("")})
			return err
		},
		"ImageExists": func() error { _, err := d.ImageExists(ctx, "x"); return err },
		"PullImage":   func() error { return d.PullImage(ctx, "example/x:v1", nil) },
		"RemoveImage": func() error { return d.RemoveImage(ctx, "x") },
		"StartInstance": func() error {
			_, err := d.StartInstance(ctx, lambda.InstanceSpec{Function: "f", Image: "x", Port: 8080})
			return err
		},
		"StopInstance":  func() error { return d.StopInstance(ctx, "abc", time.Second) },
		"ListInstances": func() error { _, err := d.ListInstances(ctx); return err },
		"InstanceLogs":  func() error { _, err := d.InstanceLogs(ctx, "abc", 10); return err },
	}
	for name, call := range calls {
		err := call()
		if lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
			t.Errorf("%s: got %v, want EUNAVAILABLE", name, err)
			continue
		}
		msg := lambda.ErrorMessage(err)
		if !strings.Contains(msg, "unix:///nonexistent.sock") || !strings.Contains(msg, "DOCKER_HOST") {
			t.Errorf("%s: message %q does not say where Docker was looked for and what to do", name, msg)
		}
	}
}

func TestWatchExitsSurvivesDockerDown(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := d.WatchExits(ctx)
	if err != nil {
		t.Fatalf("WatchExits must keep retrying while Docker is down, got %v", err)
	}
	select {
	case exit, ok := <-ch:
		t.Fatalf("got %+v, %v from a daemon that does not exist", exit, ok)
	case <-time.After(700 * time.Millisecond): // a few reconnect attempts
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("unexpected event")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after ctx ended")
	}
}

func TestBuildLabelsAndOutput(t *testing.T) {
	d := newTestDriver(t)
	tag := "drivertest-labels-" + randSuffix() + ":v1"
	var out bytes.Buffer
	id, err := d.BuildImage(t.Context(), lambda.BuildRequest{
		Context: bytes.NewReader(drivertest.TestImage(t)),
		Tags:    []string{tag},
		Labels:  map[string]string{lambda.LabelManaged: "true", lambda.LabelFunction: "labels"},
		Output:  &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.RemoveImage(context.Background(), tag) })
	img, err := d.cli.ImageInspect(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if img.Config == nil || img.Config.Labels[lambda.LabelManaged] != "true" || img.Config.Labels[lambda.LabelFunction] != "labels" {
		t.Errorf("image labels = %v", img.Config)
	}
	if strings.Contains(out.String(), "{\"") {
		t.Errorf("build output contains raw JSON:\n%s", out.String())
	}
	if !strings.Contains(out.String(), " : FROM scratch\n") {
		t.Errorf("build output is not plain text lines:\n%s", out.String())
	}
}

func randSuffix() string {
	return strings.TrimPrefix(containerName(lambda.InstanceSpec{Function: "x"}), "lambda-x-v0-")
}

func TestNewRejectsBadHost(t *testing.T) {
	t.Setenv("DOCKER_HOST", "not-a-url")
	_, err := New()
	if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "DOCKER_HOST") {
		t.Errorf("New with a bad DOCKER_HOST: %v, want EINVALID naming DOCKER_HOST", err)
	}
}
