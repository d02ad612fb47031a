package drivertest

import (
	"os"
	"strings"
	"testing"
)

// DefaultDockerSocket is where Docker listens when DOCKER_HOST is unset.
const DefaultDockerSocket = "/var/run/docker.sock"

// DockerTarget is the network and address of the Docker engine at host (a
// DOCKER_HOST value, "" for the default socket), for a SocketProxy to
// forward to. A host a plain byte proxy cannot stand in for (ssh://, TLS,
// npipe://) ends the test through SkipOrFail: CI must run these tests
// against a unix or plain tcp engine.
func DockerTarget(t testing.TB, host string) (network, addr string) {
	t.Helper()
	if host == "" {
		return "unix", DefaultDockerSocket
	}
	if p, ok := strings.CutPrefix(host, "unix://"); ok {
		return "unix", p
	}
	if a, ok := strings.CutPrefix(host, "tcp://"); ok {
		if os.Getenv("DOCKER_TLS_VERIFY") != "" {
			SkipOrFail(t, "Docker is at %s with TLS: a socket proxy cannot stand in for it", host)
		}
		return "tcp", strings.TrimSuffix(a, "/")
	}
	SkipOrFail(t, "Docker is at %s: a socket proxy can only forward to unix:// or tcp://", host)
	return "", ""
}
