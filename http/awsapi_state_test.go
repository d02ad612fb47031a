package http

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestAWSState: a creation is Pending until its deploy ends, then Active
// or Failed with the reason; a second deploy while one runs is refused;
// close cancels what runs.
func TestAWSState(t *testing.T) {
	a := newAWSState()
	release := make(chan error)
	pending := &awsFunctionConfiguration{FunctionName: "f", FunctionArn: "arn:f", State: awsPending}
	if err := a.start("f", pending, func(ctx context.Context) error { return <-release }); err != nil {
		t.Fatal(err)
	}
	var c awsFunctionConfiguration
	a.status("f").apply(&c)
	if c.State != awsPending || c.LastUpdateStatus != awsInProgress {
		t.Fatalf("while creating: %+v", c)
	}
	var ae *awsError
	if err := a.start("f", pending, func(context.Context) error { return nil }); !errors.As(err, &ae) || ae.o.name != "ResourceConflictException" {
		t.Fatalf("second deploy: %v", err)
	}
	if err := a.forget("f"); !errors.As(err, &ae) || ae.o.name != "ResourceConflictException" {
		t.Fatalf("forget while running: %v", err)
	}
	if len(a.creating()) != 1 {
		t.Fatalf("creating lists %v", a.creating())
	}
	release <- lambda.Errorf(lambda.EINVALID, "no handler")
	waitUntil(t, func() bool { return !a.status("f").running })
	c = awsFunctionConfiguration{}
	a.status("f").apply(&c)
	if c.State != awsFailed || c.StateReason != "no handler" || c.StateReasonCode != "InvalidCode" || c.LastUpdateStatus != awsFailed {
		t.Fatalf("after a failed creation: %+v", c)
	}

	// An update of an existing function keeps it Active.
	update := &awsFunctionConfiguration{FunctionName: "g", FunctionArn: "arn:g", State: awsActive}
	if err := a.start("g", update, func(ctx context.Context) error { return <-release }); err != nil {
		t.Fatal(err)
	}
	c = awsFunctionConfiguration{}
	a.status("g").apply(&c)
	if c.State != awsActive || c.LastUpdateStatus != awsInProgress {
		t.Fatalf("while updating: %+v", c)
	}
	release <- nil
	waitUntil(t, func() bool { return !a.status("g").running })
	c = awsFunctionConfiguration{}
	a.status("g").apply(&c)
	if c.State != awsActive || c.LastUpdateStatus != awsSuccessful {
		t.Fatalf("after an update: %+v", c)
	}

	// close cancels a running deploy and waits for it.
	if err := a.start("h", update, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := a.start("i", update, func(context.Context) error { return nil }); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("start after close: %v", err)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
