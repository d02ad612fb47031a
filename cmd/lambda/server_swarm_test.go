package main

import (
	"strings"
	"testing"
)

func TestSwarmOptionsCheck(t *testing.T) {
	tests := []struct {
		name string
		o    swarmOptions
		want string // "" ok, else a part of the error
	}{
		{"local", swarmOptions{backend: "local", network: "lambda-swarm"}, ""},
		{"swarm", swarmOptions{backend: "swarm", registry: "192.168.240.11:5000", network: "lsw-overlay"}, ""},
		{"swarm, registry host only", swarmOptions{backend: "swarm", registry: "registry.internal", network: "n"}, ""},
		{"unknown backend", swarmOptions{backend: "kubernetes"}, `--backend "kubernetes" is invalid`},
		{"swarm without registry", swarmOptions{backend: "swarm", network: "n"}, "needs --registry"},
		{"bad registry", swarmOptions{backend: "swarm", registry: "http://reg:5000/", network: "n"}, "--registry"},
		{"registry with a path", swarmOptions{backend: "swarm", registry: "reg:5000/x", network: "n"}, "--registry"},
		{"registry on local", swarmOptions{backend: "local", registry: "reg:5000"}, "--registry is for --backend swarm"},
		{"no network", swarmOptions{backend: "swarm", registry: "reg:5000"}, "--swarm-network"},
	}
	for _, tt := range tests {
		err := tt.o.check()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: check() = %v, want %q", tt.name, err, tt.want)
		}
	}
}
