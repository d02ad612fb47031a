// Command lambda-shim is the in-container shim of the aws, handler and stdio
// protocols (docs/runtime-contract.md). It is built into function images at
// /lambda/shim.
package main

import (
	"os"

	"github.com/lambdahq/lambda/shim"
)

func main() { os.Exit(shim.Main(os.Args[1:])) }
