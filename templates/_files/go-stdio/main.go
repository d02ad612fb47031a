// Command __NAME__ is a function of the stdio protocol: the platform runs it
// once per request in a warm container, with the request's body on stdin
// and its query in QUERY_STRING (CGI style); what it prints is the answer,
// and a non-zero exit is a 502 with the end of its stderr.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	in, err := io.ReadAll(io.LimitReader(os.Stdin, 6<<20))
	if err != nil {
		fmt.Fprintln(os.Stderr, "read the request:", err)
		os.Exit(1)
	}
	out, err := answer(in, os.Getenv("QUERY_STRING"), os.Getenv("GREETING"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // stderr goes to `lambda logs`
		os.Exit(2)
	}
	os.Stdout.Write(out)
}
