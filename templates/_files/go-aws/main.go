// Command __NAME__ is an AWS Lambda function written with aws-lambda-go, of
// the aws protocol: the platform serves the Lambda Runtime API in its
// container, so the same code also runs on AWS Lambda unchanged.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() { lambda.Start(handle) }
