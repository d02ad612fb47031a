package lambda

import (
	"fmt"
	"testing"
)

func TestThrottleReasonOf(t *testing.T) {
	wrapped := fmt.Errorf("acquire: %w", Throttled(ThrottleQueueFull, "function \"f\" is at capacity"))
	for _, tc := range []struct {
		name string
		err  error
		want ThrottleReason
	}{
		{"nil", nil, ""},
		{"throttled", Throttled(ThrottleReserved, "at its reserved concurrency"), ThrottleReserved},
		{"wrapped", wrapped, ThrottleQueueFull},
		{"other code", Errorf(ETHROTTLED, "no reason given"), ""},
		{"plain", fmt.Errorf("boom"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ThrottleReasonOf(tc.err); got != tc.want {
				t.Errorf("ThrottleReasonOf = %q, want %q", got, tc.want)
			}
		})
	}
	if ErrorCode(wrapped) != ETHROTTLED || ErrorMessage(wrapped) != `function "f" is at capacity` {
		t.Errorf("code %q message %q: the reason must not change either", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
}
