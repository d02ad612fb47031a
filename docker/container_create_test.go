package docker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestCancelledCreateRemovesTheContainer: a create whose context ends
// while the daemon makes the container (here: the daemon answers only
// once the client has gone) removes the container by its name. Before,
// nothing did: a refill cancelled by the server's shutdown left a created
// lambda-preinit container behind after every bench run.
func TestCancelledCreateRemovesTheContainer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	removed, stop := make(chan string, 1), make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/containers/create"):
			cancel() // the caller gives up while the daemon creates it
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/containers/"):
			removed <- r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	defer close(stop) // before Close, which waits for the handler
	cli, err := client.New(client.WithHost("tcp://"+api.Listener.Addr().String()), client.WithAPIVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Driver{cli: cli}
	_, err = d.createContainer(ctx, client.ContainerCreateOptions{Name: "lambda-x-v1-abcdef", Config: &container.Config{Image: "x"}})
	if err == nil {
		t.Fatal("a cancelled create succeeded")
	}
	select {
	case name := <-removed:
		if name != "lambda-x-v1-abcdef" {
			t.Errorf("removed %q, want the create's own name", name)
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
