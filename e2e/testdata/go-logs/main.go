// Command go-logs is a Go handler (the SDK) for the tests of the
// platform's START, END and REPORT lines: it prints each string of the
// event's "print" (nothing when there is none), and fails when "fail" is
// set.
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/lambdahq/lambda/sdk"
)

type event struct {
	Print []string `json:"print"`
	Fail  bool     `json:"fail"`
}

func handle(ctx context.Context, e event) (map[string]int, error) {
	for _, s := range e.Print {
		fmt.Println(s)
	}
	if e.Fail {
		return nil, errors.New("asked to fail")
	}
	return map[string]int{"printed": len(e.Print)}, nil
}

func main() { sdk.Start(handle) }
