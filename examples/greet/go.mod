module github.com/lambdahq/lambda/examples/greet

go 1.26
