module github.com/lambdahq/lambda/examples/echo

go 1.26
