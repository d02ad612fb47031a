package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// scriptedLogs is a driver whose instances print what the test sends.
type scriptedLogs struct {
	lambda.Driver
	out map[string]chan []string // by instance ID
}

func (d *scriptedLogs) FollowLogs(ctx context.Context, id string, _ time.Time, emit func([]lambda.LogLine)) error {
	for {
		select {
		case msgs := <-d.out[id]:
			var batch []lambda.LogLine
			for _, m := range msgs {
				batch = append(batch, lambda.LogLine{Time: time.Now(), Stream: lambda.StreamStdout, Message: m})
			}
			emit(batch)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// keptLogs is a LogSink that keeps what it is given.
type keptLogs struct {
	lambda.LogStore
	mu    sync.Mutex
	lines []lambda.LogLine
}

func (k *keptLogs) Append(_ context.Context, lines []lambda.LogLine) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lines = append(k.lines, lines...)
	return nil
}

func (k *keptLogs) take(t *testing.T, n int) []lambda.LogLine {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		k.mu.Lock()
		if len(k.lines) >= n {
			out := k.lines
			k.lines = nil
			k.mu.Unlock()
			return out
		}
		k.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("%d lines stored, want %d", len(k.lines), n)
		}
	}
}

// A function behind a shim can write to the container's output itself,
// bypassing the shim: a frame is believed only when it names an
// invocation leased to that instance. Any other keeps its text, with no
// invocation.
func TestForgedFramesAreNotAttributed(t *testing.T) {
	d := &scriptedLogs{out: map[string]chan []string{"i-one": make(chan []string), "i-two": make(chan []string)}}
	logs := &keptLogs{}
	e := New(nil, d, nil, nil)
	e.Logs, e.Logger = logs, slog.New(slog.NewTextHandler(io.Discard, nil))
	e.ctx, e.cancel = context.WithCancel(context.Background())
	defer func() {
		e.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.tasks.wait(ctx); err != nil {
			t.Errorf("the collectors did not end: %v", err)
		}
	}()
	e.collectLogs(&lambda.Instance{ID: "i-one", Function: "victim", Version: 1}, lambda.ProtocolAWS, false)
	e.collectLogs(&lambda.Instance{ID: "i-two", Function: "attacker", Version: 1}, lambda.ProtocolAWS, false)
	// As lease does; a deploy, a cold start or an adoption registers the
	// instance before it can be leased.
	e.attributionOf("i-one").begin("inv-victim", "trace-victim", time.Now())
	e.attributionOf("i-two").begin("inv-attacker", "trace-attacker", time.Now())

	tests := []struct {
		name     string
		instance string
		printed  []string
		want     []lambda.LogLine // Invocation, TraceID and Message
	}{
		{"its own invocation", "i-two",
			[]string{"\x1einv-attacker\x1fmine"},
			[]lambda.LogLine{{Invocation: "inv-attacker", TraceID: "trace-attacker", Message: "mine"}}},
		{"another instance's invocation", "i-two",
			[]string{"\x1einv-victim\x1fFORGED"},
			[]lambda.LogLine{{Message: "FORGED"}}},
		{"an invocation nobody leased", "i-two",
			[]string{"\x1enever-leased\x1fFORGED"},
			[]lambda.LogLine{{Message: "FORGED"}}},
		{"forged amid its own run", "i-two",
			[]string{"\x1einv-attacker\x1fa", "\x1einv-victim\x1fb", "\x1einv-attacker\x1fc"},
			[]lambda.LogLine{
				{Invocation: "inv-attacker", TraceID: "trace-attacker", Message: "a"},
				{Message: "b"},
				{Invocation: "inv-attacker", TraceID: "trace-attacker", Message: "c"},
			}},
		{"the victim's own lines", "i-one",
			[]string{"\x1einv-victim\x1fgenuine", "between invocations"},
			[]lambda.LogLine{{Invocation: "inv-victim", TraceID: "trace-victim", Message: "genuine"}, {Message: "between invocations"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.out[tt.instance] <- tt.printed
			got := logs.take(t, len(tt.want))
			if len(got) != len(tt.want) {
				t.Fatalf("%d lines stored, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Invocation != w.Invocation || g.TraceID != w.TraceID || g.Message != w.Message || g.Instance != tt.instance {
					t.Errorf("line %d: invocation %q trace %q message %q on %s; want %q %q %q", i, g.Invocation, g.TraceID, g.Message, g.Instance, w.Invocation, w.TraceID, w.Message)
				}
			}
		})
	}
}

// A busy instance's collector may run far behind its requests: an
// invocation that left the attribution windows is still its own.
func TestLeasedRemembersBeyondTheWindows(t *testing.T) {
	a := attribution{framed: true}
	a.begin("first", "", time.Now())
	for i := range 10 * attributionWindows {
		a.begin(fmt.Sprintf("filler-%d", i), "", time.Now())
	}
	if !a.leasedTo("first") {
		t.Error("an invocation 640 leases back is no longer the instance's")
	}
	for i := range leasedRemembered {
		a.begin(fmt.Sprintf("more-%d", i), "", time.Now())
	}
	if a.leasedTo("first") {
		t.Error("the memory of leases is unbounded")
	}
	if len(a.leased) != leasedRemembered || len(a.order) != leasedRemembered {
		t.Errorf("%d IDs remembered (%d in order), want %d", len(a.leased), len(a.order), leasedRemembered)
	}
	if a.leasedTo("") || a.leasedTo("never") {
		t.Error("an ID never leased counts")
	}
}
