package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		name, event string
		want        string
	}{
		{"invoke", `{"name": "World"}`, "Hello, World!"},
		{"no name", `{}`, "Hello, World!"},
		{"not an object", `[1]`, "Hello, World!"},
		{"url query", `{"rawPath": "/", "queryStringParameters": {"name": "Ada"}}`, "Hello, Ada!"},
		{"url body", `{"rawPath": "/", "body": "{\"name\": \"Ada\"}"}`, "Hello, Ada!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := handle(context.Background(), json.RawMessage(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			var got message
			switch o := out.(type) {
			case message:
				got = o
			case events.LambdaFunctionURLResponse:
				if o.StatusCode != 200 || json.Unmarshal([]byte(o.Body), &got) != nil {
					t.Fatalf("response %+v", o)
				}
			default:
				t.Fatalf("answer of type %T", out)
			}
			if got.Message != tt.want {
				t.Fatalf("message %q, want %q", got.Message, tt.want)
			}
		})
	}
}
