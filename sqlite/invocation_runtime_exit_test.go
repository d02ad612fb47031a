package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A crashed synchronous invocation's record keeps how its runtime ended
// (the shim's X-Lambda-Runtime-Exit, or unknown), found and listed, for
// `lambda invocation ID`; the chunk's JSON already held it, the job shape
// it is read in did not.
func TestInvocationRecordRuntimeExit(t *testing.T) {
	db, _, _ := jobFixture(t)
	s := NewInvocationStore(db)
	crash := testRecord("greet", 1, 0)
	crash.Status, crash.HTTPStatus, crash.ErrorType, crash.RuntimeExit = lambda.StatusFailed, 502, lambda.EFUNCTION, "exit status 2"
	oom := testRecord("greet", 2, time.Second)
	oom.Status, oom.HTTPStatus, oom.ErrorType, oom.RuntimeExit = lambda.StatusFailed, 502, lambda.EOUTOFMEMORY, lambda.RuntimeExitUnknown
	mustSave(t, s, crash, oom, testRecord("greet", 3, 2*time.Second))

	for _, r := range []*lambda.Invocation{crash, oom} {
		got, err := s.FindInvocation(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.History) != 1 || got.History[0].RuntimeExit != r.RuntimeExit || got.ErrorType != r.ErrorType {
			t.Errorf("record %s: %+v, want runtime exit %q, error type %s", r.ID, got.History, r.RuntimeExit, r.ErrorType)
		}
	}
	jobs, err := s.ListInvocations(context.Background(), lambda.JobFilter{Function: "greet"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{crash.ID: "exit status 2", oom.ID: lambda.RuntimeExitUnknown, "greet-3": ""}
	for _, j := range jobs {
		if got := j.History[0].RuntimeExit; got != want[j.ID] {
			t.Errorf("listed %s: runtime exit %q, want %q", j.ID, got, want[j.ID])
		}
	}
}
