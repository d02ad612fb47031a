package main

import (
	"reflect"
	"testing"

	"github.com/lambdahq/lambda/engine"
)

func TestParsePreinit(t *testing.T) {
	tests := []struct {
		in   string
		want engine.PreinitConfig
		bad  bool
	}{
		{in: "2", want: engine.PreinitConfig{Size: 2}},
		{in: "0", want: engine.PreinitConfig{Size: 0}},
		{in: "python=3,node=0", want: engine.PreinitConfig{Size: 2, Sizes: map[string]int{"python": 3, "node": 0}}},
		{in: "1, python=4", want: engine.PreinitConfig{Size: 1, Sizes: map[string]int{"python": 4}}},
		{in: "-1", bad: true},
		{in: "21", bad: true},
		{in: "python", bad: true},
		{in: "=2", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := parsePreinit(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("parsePreinit(%q) error %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		if !tt.bad && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePreinit(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
