package docker

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// TestRemoveImageWaitsForBuilds: an image removal prunes untagged parent
// layers a running build may be reusing from the cache, so the driver
// sends it only once the build is over. Before the lock moved here from
// the engine, builds that did not go through the engine's (the runtimes'
// base images) raced removals. A daemon of the test's own answers.
func TestRemoveImageWaitsForBuilds(t *testing.T) {
	building, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var events []string
	record := func(ev string) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}
	daemon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/build"):
			_, _ = io.Copy(io.Discard, r.Body)
			close(building)
			<-release
			record("build done")
			_, _ = io.WriteString(w, `{"aux":{"ID":"sha256:0123"}}`+"\n")
		case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/images/"):
			record("remove")
			_, _ = io.WriteString(w, "[]")
		default:
			http.NotFound(w, r)
		}
	}))
	defer daemon.Close()
	d, err := NewHost("tcp://" + daemon.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	built := make(chan error, 1)
	go func() {
		_, err := d.BuildImage(ctx, lambda.BuildRequest{Context: bytes.NewReader(drivertest.TestImage(t))})
		built <- err
	}()
	<-building
	removed := make(chan error, 1)
	go func() { removed <- d.RemoveImage(ctx, "func-old:v1") }()
	// Long enough for an unlocked removal to reach the daemon first.
	time.Sleep(300 * time.Millisecond)
	close(release)
	if err := <-built; err != nil {
		t.Fatalf("BuildImage: %v", err)
	}
	if err := <-removed; err != nil {
		t.Fatalf("RemoveImage: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(events, ", ") != "build done, remove" {
		t.Errorf("the daemon saw %v; want the removal after the build", events)
	}
}
