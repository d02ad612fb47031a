package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// event is what the handler reads: {"name": "Ada"} from `lambda invoke`,
// cron or the Invoke API; an HTTP request arrives as a Function URL event,
// with its query in queryStringParameters and its body in body.
type event struct {
	Name string `json:"name"`

	RawPath               string            `json:"rawPath"`
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	Body                  string            `json:"body"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

// message is the answer: {"message": "Hello, NAME!"}.
type message struct {
	Message string `json:"message"`
}

// handle greets by name (World by default). GREETING (default Hello)
// changes the greeting: lambda deploy --env GREETING=Hi.
func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var in event
	if err := json.Unmarshal(raw, &in); err != nil {
		in = event{} // a payload that is not an object: greet the world
	}
	if in.RawPath == "" { // a direct invocation: the payload is the event
		return greeting(in.Name), nil
	}
	// An HTTP request: the query's name, else the JSON body's.
	name := in.QueryStringParameters["name"]
	if name == "" && in.Body != "" && !in.IsBase64Encoded {
		var body event
		if json.Unmarshal([]byte(in.Body), &body) == nil {
			name = body.Name
		}
	}
	b, err := json.Marshal(greeting(name))
	if err != nil {
		return nil, err
	}
	return events.LambdaFunctionURLResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}, nil
}

func greeting(name string) message {
	if name = strings.TrimSpace(name); name == "" {
		name = "World"
	}
	g := os.Getenv("GREETING")
	if g == "" {
		g = "Hello"
	}
	log.Printf("greeting %q", name) // goes to `lambda logs`
	return message{Message: g + ", " + name + "!"}
}
