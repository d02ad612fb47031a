package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// deployLog records what a DeployObserver is told.
type deployLog struct {
	mu      sync.Mutex
	deploys []string // function=result
	builds  []string // function
}

func (l *deployLog) ObserveBuild(function string, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if took > 0 {
		l.builds = append(l.builds, function)
	}
}

func (l *deployLog) ObserveDeploy(function, result string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deploys = append(l.deploys, function+"="+result)
}

func TestDeployObserver(t *testing.T) {
	log := &deployLog{}
	e, _ := newResolvingEnv(t, func(e *env) { e.eng.DeployObserver = log })
	deploy := func(name, code string) error {
		_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: name, Code: strings.NewReader(code), Progress: &progress{}})
		return err
	}
	if err := deploy("greet", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := deploy("greet", "v1"); err != nil {
		t.Fatal(err)
	}
	e.builder.mu.Lock()
	e.builder.fail = errors.New("the build broke")
	e.builder.mu.Unlock()
	if err := deploy("greet", "v2"); err == nil {
		t.Fatal("a failing build deployed")
	}
	if err := deploy("Not A Name", "v1"); err == nil {
		t.Fatal("a bad name deployed")
	}
	want := []string{"greet=" + lambda.DeployPublished, "greet=" + lambda.DeployUnchanged, "greet=" + lambda.DeployFailed}
	if !slices.Equal(log.deploys, want) {
		t.Errorf("deploys observed %v, want %v (a bad name is none)", log.deploys, want)
	}
	if !slices.Equal(log.builds, []string{"greet"}) {
		t.Errorf("builds observed %v, want the one that built", log.builds)
	}
}

func TestThrottleReasons(t *testing.T) {
	e, clock := newClockEnv(t)
	e.eng.QueueSize = 1
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{Concurrency: ptr(1), MaxInstances: ptr(1)})
	held, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release(false)
	armed := clock.Waiters()
	queued := make(chan error, 1)
	go func() {
		lease, err := e.eng.Acquire(context.Background(), "greet")
		if err == nil {
			lease.Release(false)
		}
		queued <- err
	}()
	eventually(t, "a request queued", func() bool { return e.eng.Queued("greet") == 1 })
	if _, err := e.eng.Acquire(context.Background(), "greet"); lambda.ThrottleReasonOf(err) != lambda.ThrottleQueueFull {
		t.Errorf("past a full queue: %v (reason %q), want %q", err, lambda.ThrottleReasonOf(err), lambda.ThrottleQueueFull)
	}
	clock.BlockUntil(t, armed+1)
	clock.Advance(e.eng.QueueTimeout)
	if err := recvErr(t, queued); lambda.ThrottleReasonOf(err) != lambda.ThrottleQueueTimeout {
		t.Errorf("past the queue timeout: %v (reason %q), want %q", err, lambda.ThrottleReasonOf(err), lambda.ThrottleQueueTimeout)
	}
	e.scale(t, "greet", lambda.ScalingPatch{Reserved: ptr(0)})
	if _, err := e.eng.Acquire(context.Background(), "greet"); lambda.ThrottleReasonOf(err) != lambda.ThrottleReserved || lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Errorf("reserved 0: %v (reason %q), want throttled with %q", err, lambda.ThrottleReasonOf(err), lambda.ThrottleReserved)
	}
}
