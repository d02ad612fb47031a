package lambda

// NotDeployed is the refusal of an invocation of a function that does not
// exist or has no active version, in the same words wherever it is
// refused: the queue, the control API and the Lambda Invoke API.
func NotDeployed(function string) error {
	return Errorf(ENOTFOUND, "function %q not found, or it has no active version: deploy it with \"lambda deploy\" before invoking it", function)
}
