package engine

import (
	"fmt"

	"github.com/lambdahq/lambda"
)

// exitedBeforeReady says what it means that an instance's container
// exited before it was ready, in the terms of the function's protocol: an
// HTTP function never listened, while behind the shim a handler or AWS
// function failed to initialise. The shim prints the error (the handler's
// traceback, the runtime's init error) last in the output that the caller
// quotes below.
func exitedBeforeReady(protocol, port string) error {
	switch protocol {
	case lambda.ProtocolHandler:
		return fmt.Errorf("the handler failed to load: its process exited before asking for its first event (the error is at the end of the output below)")
	case lambda.ProtocolAWS:
		return fmt.Errorf("the function failed to initialise: its process exited before asking the Runtime API for its first event (the error is at the end of the output below)")
	case lambda.ProtocolStdio:
		return fmt.Errorf("the shim exited before listening on port %s (see the output below)", port)
	}
	return fmt.Errorf("function exited before listening on port %s (it must serve HTTP on $PORT)", port)
}
