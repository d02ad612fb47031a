package async

import "github.com/lambdahq/lambda"

// submissionTrace is the traceparent a job's attempts continue: the
// platform's span for the submission, a child of the submitter's trace;
// "" when the submitter sent none, and the attempts then share the trace
// named after the job's ID (attemptTrace).
func submissionTrace(req *lambda.InvokeRequest) string {
	if req.Trace.TraceID == ([16]byte{}) {
		return ""
	}
	return req.Trace.Child().String()
}

// attemptTrace is the trace context an attempt of j runs under: the
// submission's span when the store kept it, else the trace named after
// the job's ID, so that every attempt of a job is in one trace.
func attemptTrace(j *lambda.Job) lambda.TraceContext {
	if t, ok := lambda.ParseTraceParent(j.TraceParent); ok {
		return t
	}
	t, _ := lambda.TraceOfRequestID(j.ID)
	return t
}

// attemptTraceID is the trace ID an attempt ran under, for its record:
// the invocation's, or, when it got no answer, the one it was sent with.
func attemptTraceID(req *lambda.InvokeRequest, res *lambda.InvokeResult) string {
	switch {
	case res != nil && res.Invocation != nil:
		return res.Invocation.TraceID
	case req.Trace.TraceID != [16]byte{}:
		return req.Trace.TraceIDString()
	}
	return ""
}
