package docker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestCancelledCreateRemovesTheContainer: a create whose context ends
// while the daemon makes the container (here: the daemon answers only
// after the caller gave up, as the real one does) waits for the create's
// answer and removes the container by its ID, after the daemon made it.
// Before, a removal by name went out at once, could reach the daemon
// before its create did, and removed nothing: a refill cancelled by the
// server's shutdown left a created lambda-preinit container behind after
// a bench run (seen in CI and reproduced locally).
func TestCancelledCreateRemovesTheContainer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	removed := make(chan string, 2)
	var answered atomic.Bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/containers/create"):
			cancel() // the caller gives up while the daemon creates it
			time.Sleep(50 * time.Millisecond)
			answered.Store(true)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"Id":"c0ffee","Warnings":[]}`))
		case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/containers/"):
			if !answered.Load() {
				removed <- "before the create's answer"
			}
			removed <- r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	cli, err := client.New(client.WithHost("tcp://"+api.Listener.Addr().String()), client.WithAPIVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Driver{cli: cli}
	created, err := d.createContainer(ctx, client.ContainerCreateOptions{Name: "lambda-x-v1-abcdef", Config: &container.Config{Image: "x"}})
	if err == nil || created.ID != "" {
		t.Fatalf("a cancelled create: %+v, %v; want no container and an error", created, err)
	}
	select {
	case got := <-removed:
		if got != "c0ffee" {
			t.Errorf("removed %q, want the created container's ID once the daemon made it", got)
		}
	case <-time.After(time.Minute):
		t.Fatal("the container of a cancelled create was not removed")
	}
}

// TestFailedCreateRemovesNothing: a create the daemon refused made no
// container, and a name is not worth a call (another server may hold it).
func TestFailedCreateRemovesNothing(t *testing.T) {
	deletes := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes++
		}
		http.Error(w, `{"message":"conflict"}`, http.StatusConflict)
	}))
	defer api.Close()
	cli, err := client.New(client.WithHost("tcp://"+api.Listener.Addr().String()), client.WithAPIVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Driver{cli: cli}
	if _, err := d.createContainer(context.Background(), client.ContainerCreateOptions{Name: "taken", Config: &container.Config{Image: "x"}}); err == nil {
		t.Fatal("a refused create succeeded")
	}
	if deletes != 0 {
		t.Errorf("%d removals after a refused create, want none", deletes)
	}
}
