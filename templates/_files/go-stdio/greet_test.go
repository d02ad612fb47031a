package main

import (
	"strings"
	"testing"
)

func TestAnswer(t *testing.T) {
	tests := []struct {
		name, body, query, greeting string
		want                        string // "" : an error
	}{
		{"nobody", "", "", "", `{"message": "Hello, World!"}`},
		{"json body", `{"name": "World"}`, "", "", `{"message": "Hello, World!"}`},
		{"query", "", "name=Ada", "", `{"message": "Hello, Ada!"}`},
		{"greeting", "", "name=Ada", "Hi", `{"message": "Hi, Ada!"}`},
		{"not json", "name=Ada", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := answer([]byte(tt.body), tt.query, tt.greeting)
			switch {
			case tt.want == "" && err == nil:
				t.Fatalf("answer = %s, want an error", out)
			case tt.want != "" && (err != nil || strings.TrimSpace(string(out)) != tt.want):
				t.Fatalf("answer = %s, %v; want %s", out, err, tt.want)
			}
		})
	}
}
