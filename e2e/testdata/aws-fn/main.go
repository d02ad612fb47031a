// Command aws-fn is an unmodified AWS Lambda function written with
// aws-lambda-go: it must run on the platform as is.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type input struct {
	Name  string `json:"name"`
	Fail  bool   `json:"fail"`
	Panic bool   `json:"panic"`
	// Function URL events carry these.
	RawPath               string            `json:"rawPath"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	if in.RawPath != "" { // an HTTP request through a function URL
		name := in.QueryStringParameters["name"]
		if in.QueryStringParameters["panic"] == "1" {
			panic("asked to panic over HTTP")
		}
		body, _ := json.Marshal(map[string]string{"message": "Hello, " + name + "!", "path": in.RawPath})
		return events.LambdaFunctionURLResponse{StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json", "X-From": "aws-fn"}, Body: string(body)}, nil
	}
	fmt.Printf("invoked with %s\n", raw)
	switch {
	case in.Panic:
		panic("asked to panic")
	case in.Fail:
		return nil, errors.New("asked to fail")
	}
	return map[string]any{
		"message":      "Hello, " + in.Name + "!",
		"request_id":   lc.AwsRequestID,
		"arn":          lc.InvokedFunctionArn,
		"has_deadline": !deadline.IsZero(),
		"trace":        os.Getenv("_X_AMZN_TRACE_ID"), // set by aws-lambda-go from Lambda-Runtime-Trace-Id
		// From Lambda-Runtime-Client-Context: the Invoke API's ClientContext.
		"client_custom": lc.ClientContext.Custom,
		"client_app":    lc.ClientContext.Client.AppTitle,
	}, nil
}

func main() { lambda.Start(handle) }
