package shim

import (
	"net/http"
	"os"
	"strconv"
	"strings"
)

// function is what the platform told the instance about its function.
type function struct {
	name, version, handler string
	memoryMB               int
	region                 string
	arn                    string
	logStream              string // the hostname, as Lambda names streams per sandbox
}

func functionFromEnv(environ []string) function {
	get := func(k string) string { v, _ := lookupEnv(environ, k); return v }
	fn := function{
		name:    get("LAMBDA_FUNCTION_NAME"),
		version: get("LAMBDA_FUNCTION_VERSION"),
		handler: get("LAMBDA_HANDLER"),
		region:  get("AWS_REGION"),
	}
	fn.memoryMB, _ = strconv.Atoi(get("LAMBDA_FUNCTION_MEMORY_MB"))
	if fn.region == "" {
		fn.region = "us-east-1"
	}
	fn.arn = "arn:aws:lambda:" + fn.region + ":000000000000:function:" + fn.name
	fn.logStream, _ = os.Hostname()
	return fn
}

// commandEnv is the environment of COMMAND: the container's plus what the
// AWS runtimes expect. runtimeAPI is empty for stdio.
func commandEnv(environ []string, fn function, runtimeAPI string) []string {
	env := make([]string, 0, len(environ)+14)
	env = append(env, environ...)
	set := func(k, v string) { env = append(env, k+"="+v) }
	setDefault := func(k, v string) {
		if cur, ok := lookupEnv(environ, k); !ok || cur == "" {
			set(k, v)
		}
	}
	if runtimeAPI != "" {
		set("AWS_LAMBDA_RUNTIME_API", runtimeAPI)
		// One invocation at a time: aws-lambda-go would otherwise poll
		// /next from several goroutines.
		set("AWS_LAMBDA_MAX_CONCURRENCY", "1")
	}
	set("AWS_LAMBDA_FUNCTION_NAME", fn.name)
	set("AWS_LAMBDA_FUNCTION_VERSION", fn.version)
	set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(fn.memoryMB))
	set("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/"+fn.name)
	set("AWS_LAMBDA_LOG_STREAM_NAME", fn.logStream)
	set("LAMBDA_TASK_ROOT", "/var/task")
	set("_HANDLER", fn.handler)
	setDefault("AWS_REGION", fn.region)
	setDefault("AWS_DEFAULT_REGION", fn.region)
	setDefault("TZ", ":UTC")
	return env
}

// cgiEnv appends the CGI-style variables of one request to base.
func cgiEnv(base []string, r *http.Request, inv *invocation) []string {
	env := make([]string, 0, len(base)+8+len(r.Header))
	env = append(env, base...)
	env = append(env,
		"REQUEST_METHOD="+r.Method,
		"PATH_INFO="+r.URL.Path,
		"QUERY_STRING="+r.URL.RawQuery,
		"CONTENT_TYPE="+r.Header.Get("Content-Type"),
		"CONTENT_LENGTH="+strconv.Itoa(inv.bodyLen),
		"LAMBDA_REQUEST_ID="+inv.id,
		"LAMBDA_DEADLINE_MS="+strconv.FormatInt(inv.deadline.UnixMilli(), 10),
	)
	if inv.clientContext != "" {
		env = append(env, "LAMBDA_CLIENT_CONTEXT="+inv.clientContext)
	}
	if r.Host != "" {
		env = append(env, "HTTP_HOST="+r.Host)
	}
	for name, values := range r.Header {
		switch name {
		// As in CGI, these have their own variables. Proxy is dropped so a
		// client cannot set HTTP_PROXY for the command ("httpoxy").
		case "Content-Type", "Content-Length", "Proxy":
			continue
		}
		if isControlHeader(name) {
			continue
		}
		env = append(env, cgiName(name)+"="+strings.Join(values, ","))
	}
	return env
}

// cgiName turns a header name into HTTP_NAME: upper case, anything but
// letters and digits becomes '_'.
func cgiName(h string) string {
	b := make([]byte, 0, 5+len(h))
	b = append(b, "HTTP_"...)
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			c = '_'
		}
		b = append(b, c)
	}
	return string(b)
}
