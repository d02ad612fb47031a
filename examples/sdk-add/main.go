// Command sdk-add serves a plain Go function with the SDK's RunFunc: the
// query parameters (or the fields of a JSON payload) a and b become its
// arguments, and its return value is the response.
//
//	GET /?a=1.5&b=2                               → 3.5
//	lambda invoke sdk-add --data '{"a":1.5,"b":2}' → 3.5
//	GET /?a=1.5                                   → 400 {"errorMessage":"missing parameter \"b\": …","errorType":"ParamError"}
package main

import "github.com/lambdahq/lambda/sdk"

func add(a, b float64) float64 { return a + b }

func main() { sdk.RunFunc(add, "a", "b") }
