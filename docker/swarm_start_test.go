package docker

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// fakeTasks serves the manager's task listing from tasks (the test changes
// it) and counts the listings.
func fakeTasks(t *testing.T, task *atomic.Pointer[swarm.Task], listed *atomic.Int32) *Swarm {
	t.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/tasks") {
			http.NotFound(w, r)
			return
		}
		listed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]swarm.Task{*task.Load()})
	}))
	t.Cleanup(api.Close)
	cli, err := client.New(client.WithHost("tcp://"+api.Listener.Addr().String()), client.WithAPIVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	return NewSwarm(&Driver{cli: cli})
}

// startingTask is a task in state st, on node n1 when st is past
// assignment, with address 127.0.0.1 on network "net".
func startingTask(st swarm.TaskState) *swarm.Task {
	t := &swarm.Task{ID: "t1", ServiceID: "s1", Status: swarm.TaskStatus{State: st, Err: "No such image: x"}}
	if st != swarm.TaskStatePending {
		t.NodeID = "n1"
	}
	t.NetworksAttachments = []swarm.NetworkAttachment{{
		Network:   swarm.Network{ID: "net"},
		Addresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")},
	}}
	return t
}

// TestWaitRunningSeesRunningSoon: a start ends within runningPoll of the
// manager reporting its task running, whatever the driver's Poll (250 ms by
// default, which a start waited for: here an hour), and never by dialling
// the task's address first — a task that listens but is not reported
// running is still starting (an early SYN delays the first connection by
// up to a second on an overlay).
func TestWaitRunningSeesRunningSoon(t *testing.T) {
	accepting, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer accepting.Close()
	port := accepting.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name    string
		states  []swarm.TaskState // one per listing; the last one stays
		wantErr string            // a code, "timeout", or "" for a started instance
	}{
		{"running after starting", []swarm.TaskState{swarm.TaskStatePending, swarm.TaskStateAssigned, swarm.TaskStateStarting, swarm.TaskStateStarting, swarm.TaskStateRunning}, ""},
		{"failed", []swarm.TaskState{swarm.TaskStateAssigned, swarm.TaskStateFailed}, lambda.ENOTFOUND},
		{"listening, still starting", []swarm.TaskState{swarm.TaskStateStarting}, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var task atomic.Pointer[swarm.Task]
			var listed atomic.Int32
			task.Store(startingTask(tt.states[0]))
			s := fakeTasks(t, &task, &listed)
			s.Poll = time.Hour
			go func() {
				for i := 1; i < len(tt.states); i++ {
					for listed.Load() < int32(i) {
						time.Sleep(time.Millisecond)
					}
					task.Store(startingTask(tt.states[i]))
				}
			}()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			spec := lambda.InstanceSpec{Function: "f", Version: 1, Image: "x", Port: port}
			inst, err := s.waitRunning(ctx, "s1", spec, "net", time.Second, func() {})
			switch {
			case tt.wantErr == "timeout":
				if err == nil || ctx.Err() == nil {
					t.Fatalf("got %v, %v; want a start still waiting at the deadline", inst, err)
				}
			case tt.wantErr != "":
				if lambda.ErrorCode(err) != tt.wantErr {
					t.Fatalf("got %v, %v; want %s", inst, err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("waitRunning: %v", err)
			case inst.Addr != net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) || !inst.Running || inst.ID != "s1":
				t.Fatalf("got %+v", inst)
			}
		})
	}
}

// TestWaitRunningPollsFastUntilAssigned: until the task has a node, its
// state is read every startPoll, not every Poll: the function's next start
// waits for that assignment.
func TestWaitRunningPollsFastUntilAssigned(t *testing.T) {
	var task atomic.Pointer[swarm.Task]
	var listed atomic.Int32
	task.Store(startingTask(swarm.TaskStatePending))
	s := fakeTasks(t, &task, &listed)
	s.Poll = time.Hour
	assigned := make(chan struct{})
	var once sync.Once
	go func() {
		for listed.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		task.Store(startingTask(swarm.TaskStateRunning))
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	spec := lambda.InstanceSpec{Function: "f", Version: 1, Image: "x", Port: 1}
	if _, err := s.waitRunning(ctx, "s1", spec, "net", time.Second, func() { once.Do(func() { close(assigned) }) }); err != nil {
		t.Fatalf("waitRunning: %v", err)
	}
	select {
	case <-assigned:
	default:
		t.Fatal("the placement lock was not released once the task had a node")
	}
}
