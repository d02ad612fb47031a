package bench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Deployer deploys code as `lambda deploy DIR` does once the CLI has
// packed DIR, for the deploy phase (issue 14 §3: deploys in seconds).
type Deployer interface {
	// Deploy deploys code (a tar.gz of a function's directory) as the
	// function the platform names after name, and returns once the deploy
	// returned: the new version serves. Delete removes that function.
	Deploy(ctx context.Context, name, runtime string, code []byte) error
	Delete(ctx context.Context, name string) error
	// Endpoint is the function behind the gateway.
	Endpoint(name string) Endpoint
}

// deployWait bounds a deploy and the wait for its version to serve.
const deployWait = 5 * time.Minute

// deploy measures, with warm caches (an unmeasured deploy of each runtime
// first): a first deploy of a small Go function (examples/greet's kind)
// under a new name, and code-only redeploys of a Go, a Python and a Node
// function,
// each from the deploy call until a request through the gateway gets the
// new code's answer.
func (r *Runner) deploy(ctx context.Context, rep *Report) error {
	n := r.Plan.DeploySamples
	d := &rep.Deploy
	first, goRe, pyRe, nodeRe := NewRecorder(n), NewRecorder(n), NewRecorder(n), NewRecorder(n)
	tr := NewTransport(2)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: coldTimeout}
	defer func() {
		for _, name := range []string{"deploy-py", "deploy-node", "deploy-go"} {
			_ = r.Deployer.Delete(context.WithoutCancel(ctx), name)
		}
	}()
	r.logf("deploy: %d first deploys of a Go function, %d code-only redeploys of a Go, a Python and a Node function", n, n)
	// Warm the caches (runtime images, Go's build cache): unmeasured.
	if _, err := r.timeDeploy(ctx, client, "deploy-go", "go", -1); err != nil {
		return err
	}
	if _, err := r.timeDeploy(ctx, client, "deploy-py", "python", -1); err != nil {
		return err
	}
	if _, err := r.timeDeploy(ctx, client, "deploy-node", "node", -1); err != nil {
		return err
	}
	for i := range n {
		name := fmt.Sprintf("deploy-first-%d", i)
		f, err := r.timeDeploy(ctx, client, name, "go", i)
		_ = r.Deployer.Delete(context.WithoutCancel(ctx), name)
		if err != nil {
			return err
		}
		first.Record(f)
		g, err := r.timeDeploy(ctx, client, "deploy-go", "go", i)
		if err != nil {
			return err
		}
		goRe.Record(g)
		py, err := r.timeDeploy(ctx, client, "deploy-py", "python", i)
		if err != nil {
			return err
		}
		pyRe.Record(py)
		js, err := r.timeDeploy(ctx, client, "deploy-node", "node", i)
		if err != nil {
			return err
		}
		nodeRe.Record(js)
		r.logf("deploy: round %d: first Go %.2fs, Go redeploy %.2fs, Python redeploy %.2fs, Node redeploy %.2fs", i+1, f.Seconds(), g.Seconds(), py.Seconds(), js.Seconds())
	}
	d.Samples = n
	d.FirstGoS = seconds(first.Percentile(50))
	d.RedeployGoS = seconds(goRe.Percentile(50))
	d.RedeployPythonS = seconds(pyRe.Percentile(50))
	d.RedeployNodeS = seconds(nodeRe.Percentile(50))
	return nil
}

func seconds(d time.Duration) float64 { return round(d.Seconds(), 2) }

// timeDeploy deploys version v of the runtime's function as name and
// returns the time until the gateway answers with v's marker.
func (r *Runner) timeDeploy(ctx context.Context, client *http.Client, name, runtime string, v int) (time.Duration, error) {
	marker := fmt.Sprintf("deploy-bench-v%d", v)
	code, err := deployFunction(runtime, marker)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, deployWait)
	defer cancel()
	start := time.Now()
	if err := r.Deployer.Deploy(ctx, name, runtime, code); err != nil {
		return 0, fmt.Errorf("deploy %s: %w", name, err)
	}
	ep := r.Deployer.Endpoint(name)
	for {
		body, err := get(ctx, client, ep)
		if err == nil && bytes.Contains(body, []byte(marker)) {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s did not serve its new code (last answer %q, %v): %w", name, body, err, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, client *http.Client, ep Endpoint) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Host = ep.Host
	for k, v := range ep.Header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return body, err
}

// deployFunction is the tar.gz of a function of runtime (go, python or node)
// that answers marker.
func deployFunction(runtime, marker string) ([]byte, error) {
	files := map[string]string{}
	switch runtime {
	case "go":
		files["go.mod"] = "module example.com/greet\n\ngo 1.22\n"
		files["main.go"] = strings.ReplaceAll(greetSource, "MARKER", marker)
	case "python":
		files["handler.py"] = strings.ReplaceAll(pythonSource, "MARKER", marker)
	case "node":
		files["index.js"] = strings.ReplaceAll(nodeSource, "MARKER", marker)
	default:
		return nil, fmt.Errorf("bench: no deploy function for runtime %q", runtime)
	}
	return packFunction(files)
}

// packFunction is the tar.gz of a function's files.
func packFunction(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// greetSource is examples/greet's kind of function: net/http and
// encoding/json, serving on $PORT.
const greetSource = `package main

import (
	"encoding/json"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "Hello, World!", "version": "MARKER"})
	})
	_ = http.ListenAndServe(":"+port, nil)
}
`

const pythonSource = `def handler(event, context):
    return {"message": "Hello, World!", "version": "MARKER"}
`

const nodeSource = `exports.handler = async () => ({ message: 'Hello, World!', version: 'MARKER' });
`
