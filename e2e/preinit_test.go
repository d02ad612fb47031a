package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// preinitHandler answers with what the instance holds: its marker, the
// files of its task root and its container (the hostname).
const preinitHandler = `import os, socket

def handler(event, context):
    root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    return {"mark": os.environ.get("MARK", ""), "files": sorted(os.listdir(root)), "host": socket.gethostname(),
            "fn": context.function_name}
`

type preinitAnswer struct {
	Mark  string   `json:"mark"`
	Files []string `json:"files"`
	Host  string   `json:"host"`
	Fn    string   `json:"fn"`
}

// TestPreinitInstances: a cold start of a Python function is served by a
// generic instance of its runtime (issue 14 §2): that container serves
// exactly the one function, with its limits (docker inspect) and only its
// code, and its init port refuses a second init. A generic instance
// killed while it waits is replaced, never given to a cold start.
func TestPreinitInstances(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	type fn struct {
		name, mark, file, memory string
		memBytes                 int64
	}
	fns := []*fn{
		{name: s.fn("preinita"), mark: "a", file: "only_a.py", memory: "200m", memBytes: 200 << 20},
		{name: s.fn("preinitb"), mark: "b", file: "only_b.py", memory: "256m", memBytes: 256 << 20},
	}
	for _, f := range fns {
		dir := t.TempDir()
		for name, body := range map[string]string{"handler.py": preinitHandler, f.file: "X = 1\n"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s.mustLambda("deploy", dir, "--name", f.name, "--env", "MARK="+f.mark, "--memory", f.memory)
		s.mustLambda("config", f.name, "--idle-timeout", "1s", "--standby-timeout", "0")
		t.Cleanup(func() { s.lambda("delete", f.name) })
	}
	hosts := map[string]string{}
	for _, f := range fns {
		got, container := s.preinitColdStart(t, f.name, "python")
		if got.Mark != f.mark || got.Fn != f.name {
			t.Errorf("%s's instance answered as %q/%q", f.name, got.Fn, got.Mark)
		}
		want := []string{"handler.py", f.file}
		if files := slices.DeleteFunc(got.Files, func(n string) bool { return n == "__pycache__" }); !slices.Equal(files, want) {
			t.Errorf("%s's task root holds %v, want only its own code %v", f.name, files, want)
		}
		checkPreinitContainer(t, s, f.name, f.mark, container, f.memBytes)
		for other, h := range hosts {
			if h == got.Host {
				t.Errorf("%s was served by %s's container %s", f.name, other, h)
			}
		}
		hosts[f.name] = got.Host
	}
	checkKilledGenericReplaced(t, s, fns[0].name, "python")
}

// preinitColdStart sends requests to name (idle timeout 1 s) after its
// instances stopped until one is served by a generic instance whose
// lambda.preinit label is runtime, and returns its answer and container;
// that instance stays (idle timeout 10 min). The generic instances start
// in the background after the runtime's first start, and the function's
// code is read once after its first: a cold start before both is a
// regular one.
func (s *server) preinitColdStart(t *testing.T, name, runtime string) (preinitAnswer, string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		s.mustLambda("config", name, "--idle-timeout", "1s")
		waitFor(t, 2*time.Minute, func() bool { return len(s.containers(name, false)) == 0 && len(s.preinitContainers()) > 0 })
		s.mustLambda("config", name, "--idle-timeout", "10m")
		resp, body := s.request("POST", s.host(name), "/", []byte(`{}`))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, resp.StatusCode, body)
		}
		var got preinitAnswer
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: %v: %s", name, err, body)
		}
		container := docker(t, "ps", "-q", "--filter", "id="+got.Host)
		if container != "" && docker(t, "inspect", "-f", `{{index .Config.Labels "lambda.preinit"}}`, container) == runtime {
			return got, container
		}
		if attempt == 5 {
			t.Fatalf("%s: no cold start in 6 was served by a pre-initialized %s instance (last: %s)", name, runtime, got.Host)
		}
	}
}

// checkPreinitContainer checks that the generic container given to name
// has its memory limit and no function label, and that its init port
// refuses a second init while the function keeps answering with mark.
func checkPreinitContainer(t *testing.T, s *server, name, mark, container string, memBytes int64) {
	t.Helper()
	// Its memory and its code, which the task root's tmpfs charges to the
	// container (at most 64 MB: engine.maxPreinitCode).
	inspect := docker(t, "inspect", "-f", `{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} function={{index .Config.Labels "lambda.function"}}`, container)
	var memory, swap int64
	var label string
	if _, err := fmt.Sscanf(strings.TrimSpace(inspect), "%d %d %s", &memory, &swap, &label); err != nil || memory < memBytes || memory > memBytes+65<<20 || swap != memory || label != "function=" {
		t.Errorf("%s's container: memory, swap, function label = %q, want %d (its limit) plus its code, swap the same, no label", name, inspect, memBytes)
	}
	// Another init, as the function's own code could send it: refused.
	ip := docker(t, "inspect", "-f", `{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}`, container)
	resp, err := http.Post("http://"+ip+":9002/init", "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n"))
	if err != nil {
		t.Fatalf("second init: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a second init to %s's container answered %d, want 403", name, resp.StatusCode)
	}
	_, body := s.request("POST", s.host(name), "/", []byte(`{}`))
	var again preinitAnswer
	if err := json.Unmarshal([]byte(body), &again); err != nil || again.Mark != mark || !strings.HasPrefix(container, again.Host) {
		t.Errorf("after a second init %s answers %s", name, body)
	}
}

// preinitContainers lists the server's running generic instances, given
// away or not: their label never changes.
func (s *server) preinitContainers() []string {
	s.t.Helper()
	return strings.Fields(docker(s.t, "ps", "-q", "--filter", "label=lambda.server="+s.namespace(), "--filter", "label=lambda.preinit"))
}
