package lambda

// FunctionARN is the ARN a function goes by where Lambda's formats need
// one (destination records): the platform has no account or region, so
// both are fixed.
func FunctionARN(name string) string {
	return "arn:aws:lambda:local:000000000000:function:" + name
}
