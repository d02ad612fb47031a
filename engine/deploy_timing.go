package engine

import "time"

// stepDone logs at debug level how long a step of a deploy took (issue 14
// §3: where a deploy's seconds go), from start until now.
func (e *Engine) stepDone(function, step string, start time.Time) {
	e.Logger.Debug("deploy step", "function", function, "step", step, "took", time.Since(start).Round(time.Millisecond))
}
