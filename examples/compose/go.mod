module example.com/compose

go 1.26.0

require github.com/lambdahq/lambda v0.0.0

replace github.com/lambdahq/lambda => ../..
