module github.com/lambdahq/lambda/examples/calculator

go 1.26
