package shim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the function process: with SHIM_TEST_ROLE set
// it acts as a Runtime API client ("runtime") or a stdio command ("stdio"),
// and with the argument "shim-main" it is the shim itself (Main).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "shim-main" {
		os.Exit(Main(os.Args[2:]))
	}
	switch os.Getenv("SHIM_TEST_ROLE") {
	case "runtime":
		os.Exit(fakeRuntime())
	case "stdio":
		os.Exit(fakeCommand())
	}
	os.Exit(m.Run())
}

// fakeRuntime is a Runtime API client whose behaviour each event chooses
// with an "action" field; SHIM_TEST_INIT chooses how it initialises.
func fakeRuntime() int {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	if os.Getenv("LAMBDA_PREINIT") == "1" {
		// As the bootstraps do: the environment comes with the init.
		mark("preinit-waiting")
		resp, err := http.Get(api + "/preinit")
		if err != nil {
			fmt.Fprintln(os.Stderr, "preinit:", err)
			return 9
		}
		var env map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		for k, v := range env {
			os.Setenv(k, v)
		}
	}
	init := os.Getenv("SHIM_TEST_INIT")
	switch {
	case init == "exit":
		fmt.Fprintln(os.Stderr, "init: cannot load config")
		return 4
	case init == "error":
		post(api+"/init/error", `{"errorMessage":"cannot import module","errorType":"Runtime.ImportModuleError"}`)
		return 1
	case strings.HasPrefix(init, "gate:"):
		mark("gated") // the process runs and has not asked for an event
		for {
			if _, err := os.Stat(strings.TrimPrefix(init, "gate:")); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for seq := 1; ; seq++ {
		resp, err := http.Get(api + "/invocation/next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "next:", err)
			return 9
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		act := parseAction(event)
		mark("started-" + strconv.Itoa(seq)) // the invocation reached the function
		respond := func(result string) { post(api+"/invocation/"+id+"/response", result) }
		switch act["action"] {
		case "result":
			respond(act["result"])
		case "error", "panic":
			post(api+"/invocation/"+id+"/error", `{"errorMessage":"boom","errorType":"ValueError","stackTrace":["handler.py line 3"]}`)
			if act["action"] == "panic" {
				fmt.Fprintln(os.Stderr, "panic: boom")
				return 2
			}
		case "exit":
			ms, _ := strconv.Atoi(act["ms"])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			code, _ := strconv.Atoi(act["code"])
			fmt.Fprintln(os.Stderr, "exiting mid-invocation")
			return code
		case "sleep":
			ms, _ := strconv.Atoi(act["ms"])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			respond(fmt.Sprintf(`{"slept":%d,"seq":%d,"tag":%q}`, ms, seq, act["tag"]))
		case "log":
			fmt.Println(act["text"])
			fmt.Fprintln(os.Stderr, act["text"]+"-err")
			respond(`{"logged":true}`)
		case "big":
			respond(`"` + strings.Repeat("x", maxPayload) + `"`)
		default: // echo what /next gave
			hdr, _ := json.Marshal(map[string]string{
				"id":       id,
				"deadline": resp.Header.Get("Lambda-Runtime-Deadline-Ms"),
				"arn":      resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"),
				"trace":    resp.Header.Get("Lambda-Runtime-Trace-Id"),
				"client":   strings.Join(resp.Header.Values("Lambda-Runtime-Client-Context"), "|"),
				"env":      os.Getenv("AWS_LAMBDA_FUNCTION_NAME") + "|" + os.Getenv("TZ") + "|" + os.Getenv("_HANDLER"),
			})
			respond(fmt.Sprintf(`{"next":%s,"headers":%s,"seq":%d}`, event, hdr, seq))
		}
	}
}

// mark tells the test (which waits for it with waitMark) that the fake
// runtime reached a point, by creating a file named name in SHIM_TEST_DIR
// when that is set.
func mark(name string) {
	if dir := os.Getenv("SHIM_TEST_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	}
}

// parseAction finds the test's instructions in any of the event shapes:
// a raw payload, a handler envelope or a Function URL event.
func parseAction(event []byte) map[string]string {
	var m map[string]any
	_ = json.Unmarshal(event, &m)
	if ev, ok := m["event"].(map[string]any); ok && m["context"] != nil {
		m = ev
	} else if m["version"] == "2.0" {
		var inner map[string]any
		if body, ok := m["body"].(string); ok {
			if m["isBase64Encoded"] == true {
				b, _ := base64.StdEncoding.DecodeString(body)
				body = string(b)
			}
			_ = json.Unmarshal([]byte(body), &inner)
		} else if q, ok := m["queryStringParameters"].(map[string]any); ok {
			inner = q
		}
		m = inner
	}
	out := map[string]string{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

func post(url, body string) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, "post:", err)
		os.Exit(8)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// fakeCommand is a stdio command; the request path chooses what it does.
func fakeCommand() int {
	switch os.Getenv("PATH_INFO") {
	case "/echo":
		io.Copy(os.Stdout, os.Stdin)
	case "/text":
		fmt.Print("hello, not JSON")
	case "/fail":
		fmt.Fprintln(os.Stderr, "something broke")
		return 3
	case "/signal":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case "/sleep":
		fmt.Fprintln(os.Stderr, "going to sleep")
		time.Sleep(10 * time.Second)
	case "/nap": // reports how many naps run at once, counted in SHIM_TEST_DIR
		mark := filepath.Join(os.Getenv("SHIM_TEST_DIR"), strconv.Itoa(os.Getpid()))
		os.WriteFile(mark, nil, 0o644)
		time.Sleep(200 * time.Millisecond)
		running, _ := os.ReadDir(os.Getenv("SHIM_TEST_DIR"))
		os.Remove(mark)
		fmt.Printf(`{"running":%d}`, len(running))
	case "/big":
		os.Stdout.Write(bytes.Repeat([]byte("x"), maxPayload+100))
	case "/env":
		vars := map[string]string{}
		for _, k := range []string{"REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
			"HTTP_X_CUSTOM", "HTTP_PROXY", "HTTP_HOST", "HTTP_X_LAMBDA_REQUEST_ID", "LAMBDA_REQUEST_ID",
			"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_RUNTIME_API", "TZ"} {
			if v, ok := os.LookupEnv(k); ok {
				vars[k] = v
			}
		}
		json.NewEncoder(os.Stdout).Encode(vars)
	}
	return 0
}
