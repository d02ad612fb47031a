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
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type invokeOptions struct {
	data     string
	dataFile string
	verbose  bool
}

func newInvokeCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &invokeOptions{}
	cmd := &cobra.Command{
		Use:   "invoke NAME [-]",
		Short: "Call a function and print its response",
		Long: `Invoke POSTs a payload to the function and prints its response body.
The payload is --data, the contents of --data-file, or standard input with "-"
(or --data-file -); without any, it is {}.`,
		Example: `  lambda invoke greet --data '{"name":"Ada"}'
  echo '{"name":"Ada"}' | lambda invoke greet -`,
		Args: argsRange(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			stdin := false
			if len(args) == 2 {
				if args[1] != "-" {
					return usageErrorf("unexpected argument %q: pass the payload with --data, --data-file or - (standard input)", args[1])
				}
				stdin = true
			}
			return runInvoke(cmd.Context(), s, root, o, args[0], stdin)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.data, "data", "d", "", "JSON payload")
	f.StringVar(&o.dataFile, "data-file", "", "file holding the payload (- for standard input)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print the response status, headers and duration to standard error")
	return cmd
}

func runInvoke(ctx context.Context, s *streams, root *rootOptions, o *invokeOptions, name string, stdin bool) error {
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	payload, err := o.payload(s, stdin)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := root.client().Invoke(ctx, name, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if o.verbose {
		printResponseHead(s, resp)
	}
	if err := copyBody(s.Out, resp.Body); err != nil {
		return fmt.Errorf("read the response of %q: %w", name, err)
	}
	if o.verbose {
		fmt.Fprintf(s.Err, "* Duration: %s\n", roundDuration(time.Since(start)))
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("function %q answered %s", name, resp.Status)
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
	return []byte("{}"), nil
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
