package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// claimCrashDBEnv names the database the child of
// TestRunningJobsSurviveSIGKILL claims jobs in.
const claimCrashDBEnv = "LAMBDA_SQLITE_CLAIM_CRASH_CHILD_DB"

// TestRunningJobsSurviveSIGKILL: a server SIGKILLed while jobs run (their
// running status in its memory only) leaves them queued; the next start
// finds them by their claims and counts the attempt each was in, and the
// jobs it had not taken are as they were.
func TestRunningJobsSurviveSIGKILL(t *testing.T) {
	if os.Getenv(claimCrashDBEnv) != "" {
		t.Skip("in the child")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, NewFunctionStore(db), testVersion("greet", 1))
	s := NewJobStore(db)
	var all []string
	for i := range 10 {
		all = append(all, mustCreate(t, s, testJob("greet", time.Duration(i)*time.Second)).ID)
	}
	db.Close(ctx)

	cmd := exec.Command(os.Args[0], "-test.run=^TestClaimCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), claimCrashDBEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	claimed := map[string]bool{}
	lines := bufio.NewScanner(out)
	for len(claimed) < 4 && lines.Scan() {
		var id string
		if _, err := fmt.Sscanf(lines.Text(), "claimed %s", &id); err == nil {
			claimed[id] = true
		}
	}
	if len(claimed) != 4 {
		t.Fatalf("the child claimed %d jobs, want 4", len(claimed))
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	db = NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer db.Close(ctx)
	s = NewJobStore(db)
	n, err := s.RequeueRunning(ctx, t0.Add(time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("RequeueRunning = %d, %v; want the 4 jobs the killed server ran", n, err)
	}
	for _, id := range all {
		j := mustFind(t, s, id)
		switch {
		case j.Status != lambda.StatusQueued:
			t.Errorf("job %s after the restart: %s, want queued", id, j.Status)
		case claimed[id] && (j.Attempts != 1 || len(j.History) != 1 || j.History[0].Error != lambda.InterruptedAttemptError ||
			!j.History[0].Start.Equal(t0.Add(time.Minute))):
			t.Errorf("job %s, running at the SIGKILL: %d attempts, history %+v; want its attempt counted, begun at its claim", id, j.Attempts, j.History)
		case !claimed[id] && (j.Attempts != 0 || len(j.History) != 0):
			t.Errorf("job %s, waiting at the SIGKILL: %d attempts, history %+v; want none", id, j.Attempts, j.History)
		}
	}
	if n := runRows(t, db); n != 0 {
		t.Errorf("%d rows still claimed after the restart, want none", n)
	}
	// The interrupted jobs go first, once.
	again, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Hour), 4)
	if err != nil || len(again) != 4 {
		t.Fatalf("ClaimJobs after the restart = %v, %v", again, err)
	}
	for _, j := range again {
		if !claimed[j.ID] {
			t.Errorf("job %s claimed before the interrupted ones", j.ID)
		}
	}
	if n, err := s.RequeueRunning(ctx, t0.Add(2*time.Hour)); err != nil || n != 4 {
		t.Errorf("a second crash: RequeueRunning = %d, %v; want 4", n, err)
	}
	if j := mustFind(t, s, again[0].ID); j.Attempts != 2 {
		t.Errorf("after a second crash: %d attempts, want 2", j.Attempts)
	}
}

// TestClaimCrashChild is the child of TestRunningJobsSurviveSIGKILL; it
// runs only there. It claims four jobs, prints their IDs, and waits to be
// killed.
func TestClaimCrashChild(t *testing.T) {
	path := os.Getenv(claimCrashDBEnv)
	if path == "" {
		t.Skip("runs as the child of TestRunningJobsSurviveSIGKILL")
	}
	ctx := context.Background()
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	s := NewJobStore(db)
	jobs, err := s.ClaimJobs(ctx, "greet", t0.Add(time.Minute), 4)
	if err != nil {
		fmt.Fprintln(os.Stderr, "claim:", err)
		os.Exit(1)
	}
	for _, j := range jobs {
		fmt.Printf("claimed %s\n", j.ID)
	}
	time.Sleep(time.Minute) // until killed
}
