// Command stdio is the stdio function of `lambda bench`: it reads its
// input from stdin and writes one JSON line saying how many bytes it read.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	n, err := io.Copy(io.Discard, os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("{\"bytes\":%d}\n", n)
}
