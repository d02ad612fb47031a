package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type invokeOptions struct {
	data           string
	dataFile       string
	verbose        bool
	async          bool
	wait           bool
	waitTimeout    time.Duration
	waitTimeoutSet bool
	idempotencyKey string
	timeout        time.Duration
	log            bool
	qualifier      string
	output         string
}

func newInvokeCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &invokeOptions{}
	cmd := &cobra.Command{
		Use:   "invoke NAME[:ALIAS|:VERSION] [-]",
		Short: "Call a function and print its response, or queue it with --async",
		Long: `Invoke POSTs a payload to the function and prints its response body.
The payload is --data, the contents of --data-file, or standard input with "-"
(or --data-file -). Without any of them, standard input is read when it is
not a terminal (a pipe or a file: echo '{"name":"Ada"}' | lambda invoke greet),
and the payload is {} when it is a terminal or empty. In a script whose
standard input is not meant for the function, pass --data or < /dev/null.

With --async the payload is queued as an asynchronous invocation, which the
server runs (and retries) on its own: invoke prints its ID at once, or with
--wait follows it until it ends and prints its response. Ctrl-C stops the
waiting, not the invocation; "lambda invocation ID" shows it later.

--idempotency-key makes a repeated call within 24 hours return the first one's
invocation (async) or its stored response (sync) instead of running again.
--timeout shortens the function's timeout for this call; it never lengthens it.

NAME:ALIAS (or --qualifier ALIAS) calls an alias of the function, NAME:3 its
version 3 (see "lambda alias" and "lambda versions"); plain NAME calls live.`,
		Example: `  lambda invoke greet --data '{"name":"Ada"}'
  echo '{"name":"Ada"}' | lambda invoke greet
  lambda invoke greet < event.json
  lambda invoke greet --async --data '{"name":"Ada"}'
  lambda invoke greet --async --wait --idempotency-key order-42
  lambda invoke greet --timeout 2s --log
  lambda invoke greet:canary --data '{"name":"Ada"}'
  lambda invoke greet --qualifier 3`,
		Args: argsRange(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			stdin := false
			if len(args) == 2 {
				if args[1] != "-" {
					return usageErrorf("unexpected argument %q: pass the payload with --data, --data-file or - (standard input)", args[1])
				}
				stdin = true
			}
			o.waitTimeoutSet = cmd.Flags().Changed("wait-timeout")
			return runInvoke(cmd.Context(), s, root, o, args[0], stdin)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.data, "data", "d", "", "JSON payload")
	f.StringVar(&o.dataFile, "data-file", "", "file holding the payload (- for standard input)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print the response status, headers and duration to standard error")
	f.BoolVar(&o.async, "async", false, "queue the invocation and print its ID instead of waiting for the response")
	f.BoolVar(&o.wait, "wait", false, "with --async: follow the invocation until it ends, then print its response")
	f.DurationVar(&o.waitTimeout, "wait-timeout", defaultWaitTimeout, "with --wait: how long to follow the invocation before giving up on waiting (it goes on)")
	f.StringVar(&o.idempotencyKey, "idempotency-key", "", fmt.Sprintf("a key of up to %d characters: a repeated call with it within 24h does not run the function again", lambda.MaxIdempotencyKeyLength))
	f.DurationVar(&o.timeout, "timeout", 0, "shorten the function's timeout for this call, e.g. 2s (never lengthens it)")
	f.BoolVar(&o.log, "log", false, "print the end of the function's output during the call (4 KB) to standard error")
	f.StringVar(&o.qualifier, "qualifier", "", "call this alias or version of the function instead of live (same as NAME:ALIAS)")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runInvoke(ctx context.Context, s *streams, root *rootOptions, o *invokeOptions, name string, stdin bool) error {
	name, err := o.splitQualifier(name)
	if err != nil {
		return err
	}
	if err := o.check(name); err != nil {
		return err
	}
	payload, err := o.payload(s, stdin)
	if err != nil {
		return err
	}
	opts := lambdahttp.InvokeOptions{Timeout: o.timeout, IdempotencyKey: o.idempotencyKey, LogTail: o.log && !o.async, Qualifier: o.qualifier}
	if o.async {
		return runInvokeAsync(ctx, s, root, o, name, payload, opts)
	}
	start := time.Now()
	resp, err := root.client().Invoke(ctx, name, bytes.NewReader(payload), opts)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if o.verbose {
		printResponseHead(s, resp)
	}
	if o.output == outputJSON {
		err = printInvokeJSON(s.Out, resp)
	} else {
		err = copyBody(s.Out, resp.Body)
	}
	if err != nil {
		return fmt.Errorf("read the response of %q: %w", name, err)
	}
	if o.verbose {
		fmt.Fprintf(s.Err, "* Duration: %s\n", roundDuration(time.Since(start)))
	}
	if resp.Header.Get(lambdahttp.HeaderIdempotentReplay) == "true" {
		fmt.Fprintf(s.Err, "Replayed the stored response of invocation %s (idempotency key %q): the function did not run again.\n", resp.Header.Get(lambdahttp.HeaderRequestID), o.idempotencyKey)
	} else if o.log {
		printLogTail(s, resp.Header.Get(lambdahttp.HeaderLogResult))
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("function %q answered %s", name, resp.Status)
	}
	return nil
}

// check refuses flags that do not go together, and values the server
// would refuse, before anything is read or sent.
func (o *invokeOptions) check(name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	if err := lambda.ValidateIdempotencyKey(o.idempotencyKey); err != nil {
		// Checked here, as the server would: a control character would
		// otherwise fail in net/http as a transport error.
		return usageErrorf("%s", strings.Replace(lambda.ErrorMessage(err), "the idempotency key", "--idempotency-key", 1))
	}
	switch {
	case o.wait && !o.async:
		return usageErrorf("--wait follows an asynchronous invocation: add --async (a synchronous invoke always waits)")
	case o.log && o.async && !o.wait:
		return usageErrorf("--log with --async needs --wait: the logs exist once the invocation ran (or see them later with \"lambda invocation ID\")")
	case o.verbose && o.async:
		return usageErrorf("--verbose shows a synchronous response's headers: with --async, use \"lambda invocation ID\" for the details")
	case o.timeout != 0 && (o.timeout < time.Millisecond || o.timeout > lambda.MaxTimeout):
		return usageErrorf("--timeout %s is out of range 1ms-%s", o.timeout, lambda.FormatDuration(lambda.MaxTimeout))
	case o.waitTimeoutSet && !(o.async && o.wait):
		return usageErrorf("--wait-timeout bounds how long --async --wait follows an invocation: add --async --wait, or leave it out")
	case o.waitTimeout <= 0:
		return usageErrorf("--wait-timeout must be positive, e.g. 10m")
	}
	return nil
}

// payload returns the request body from the one source the user chose.
func (o *invokeOptions) payload(s *streams, stdin bool) ([]byte, error) {
	sources := 0
	for _, set := range []bool{o.data != "", o.dataFile != "", stdin} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return nil, usageErrorf("use only one of --data, --data-file and - (standard input)")
	}
	switch {
	case o.data != "":
		if !json.Valid([]byte(o.data)) {
			return nil, usageErrorf("--data is not valid JSON: quote it for your shell, e.g. --data '{\"name\":\"Ada\"}'")
		}
		return []byte(o.data), nil
	case stdin || o.dataFile == "-":
		return readPayload(s.In, "standard input")
	case o.dataFile != "":
		f, err := os.Open(o.dataFile)
		if err != nil {
			return nil, fmt.Errorf("read --data-file: %w", err)
		}
		defer f.Close()
		return readPayload(f, o.dataFile)
	}
	if !inputIsTerminal(s.In) {
		// Piped or redirected without "-": the data is there to be sent,
		// as curl -d @- or aws lambda invoke users expect.
		b, err := readPayload(s.In, "standard input")
		if err != nil || len(bytes.TrimSpace(b)) > 0 {
			return b, err
		}
	}
	return []byte("{}"), nil
}

// inputIsTerminal reports whether r is a terminal; a reader that is not a file
// (tests' buffers) is not, nil counts as one (nothing to read).
func inputIsTerminal(r io.Reader) bool {
	if r == nil {
		return true
	}
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func readPayload(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, lambda.MaxPayloadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the payload from %s: %w", what, err)
	}
	if len(b) > lambda.MaxPayloadBytes {
		return nil, lambda.Errorf(lambda.ETOOLARGE, "the payload in %s is over the limit of %s bytes", what, lambda.FormatBytes(lambda.MaxPayloadBytes))
	}
	return b, nil
}

// printResponseHead writes the status line and headers, curl style.
func printResponseHead(s *streams, resp *http.Response) {
	fmt.Fprintf(s.Err, "< %s %s\n", resp.Proto, resp.Status)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(s.Err, "< %s: %s\n", k, v)
		}
	}
}

// copyBody copies the response as is, ending it with a newline if it has
// none, so the shell prompt starts on its own line.
func copyBody(w io.Writer, r io.Reader) error {
	buf := make([]byte, 32<<10)
	var last byte
	wrote := false
	for {
		n, err := r.Read(buf)
		if n > 0 {
			last, wrote = buf[n-1], true
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if wrote && last != '\n' {
		_, err := io.WriteString(w, "\n")
		return err
	}
	return nil
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}
