// Command adder is the SDK's plain-function adder, run as a Compose service
// behind the platform's shim: GET /?a=1.5&b=2 → 3.5.
package main

import "github.com/lambdahq/lambda/sdk"

func add(a, b float64) float64 { return a + b }

func main() { sdk.RunFunc(add, "a", "b") }
