package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// crashDBEnv names the database the child of TestJobsSurviveSIGKILL writes.
const crashDBEnv = "LAMBDA_SQLITE_CRASH_CHILD_DB"

// TestJobsSurviveSIGKILL runs a child process that creates jobs from 16
// goroutines and prints each one's ID once CreateJob returned, kills it
// with SIGKILL mid-stream, reopens the database and finds every job the
// child acknowledged: a committed job is never lost.
func TestJobsSurviveSIGKILL(t *testing.T) {
	if os.Getenv(crashDBEnv) != "" {
		t.Skip("in the child")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, NewFunctionStore(db), testVersion("greet", 1))
	db.Close(ctx)

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	acked := map[string]bool{}
	lines := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		var id string
		if _, err := fmt.Sscanf(lines.Text(), "acked %s", &id); err == nil {
			acked[id] = true
		}
		if len(acked) == 300 && !killed {
			// Kill mid-stream; lines already written still count.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("the child stopped after %d acknowledged jobs, before the kill", len(acked))
	}

	db = NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer db.Close(ctx)
	s := NewJobStore(db)
	for id := range acked {
		if _, err := s.FindJob(ctx, id); err != nil {
			t.Fatalf("acknowledged job %s after SIGKILL: %v", id, err)
		}
	}
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d jobs acknowledged before SIGKILL, %d stored", len(acked), counts["greet"][lambda.StatusQueued])
	if counts["greet"][lambda.StatusQueued] < len(acked) {
		t.Fatalf("counts say %d queued, fewer than the %d acknowledged", counts["greet"][lambda.StatusQueued], len(acked))
	}
}

// TestCrashChild is the child of TestJobsSurviveSIGKILL; it runs only there.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("runs as the child of TestJobsSurviveSIGKILL")
	}
	ctx := context.Background()
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	s := NewJobStore(db)
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for { // until killed
				j, _, err := s.CreateJob(ctx, lambda.NewJob{Job: &lambda.Job{Function: "greet", Trigger: lambda.TriggerAsync,
					Payload: []byte(`{"crash":true}`)}})
				if err != nil {
					fmt.Fprintln(os.Stderr, "create:", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(w, "acked %s\n", j.ID)
				w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
