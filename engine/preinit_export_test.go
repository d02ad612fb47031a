package engine

import "github.com/lambdahq/lambda"

// SetPreinitInitAddr sends every generic instance's init to addr: the
// fake driver's instances have no shim, a test serves the init port.
func (e *Engine) SetPreinitInitAddr(addr string) {
	e.preinit.initAddr = func(*lambda.Instance) string { return addr }
}
