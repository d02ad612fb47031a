package lambda

import "errors"

// ThrottleReason says why a function was throttled. The router puts it in
// the chain of its ETHROTTLED errors, the invocation record carries it,
// and the throttle metric counts by it: "at capacity" alone does not tell
// an operator whether to raise max instances, the queue or the reserved
// concurrency.
type ThrottleReason string

// Throttle reasons.
const (
	// ThrottleReserved: the function is at its reserved concurrency, or
	// disabled by a reserved concurrency of 0.
	ThrottleReserved ThrottleReason = "reserved_concurrency"
	// ThrottleQueueFull: every instance is busy and the queue of requests
	// waiting for one is full.
	ThrottleQueueFull ThrottleReason = "queue_full"
	// ThrottleQueueTimeout: a request waited its longest for an instance
	// (max instances reached, or the host's instance budget spent).
	ThrottleQueueTimeout ThrottleReason = "queue_timeout"
	// ThrottleAsyncQueueFull: an asynchronous invocation was refused
	// because the function has its limit of pending jobs.
	ThrottleAsyncQueueFull ThrottleReason = "async_queue_full"
)

// Error makes a reason the cause of an ETHROTTLED error.
func (r ThrottleReason) Error() string { return string(r) }

// Throttled returns an ETHROTTLED error with message for reason.
func Throttled(reason ThrottleReason, message string) *Error {
	return &Error{Code: ETHROTTLED, Message: message, Err: reason}
}

// ThrottleReasonOf returns the reason in err's chain, "" when there is none.
func ThrottleReasonOf(err error) ThrottleReason {
	var r ThrottleReason
	if errors.As(err, &r) {
		return r
	}
	return ""
}
