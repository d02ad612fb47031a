package async

import "time"

// Clock is the queue's source of time, replaceable in tests
// (asynctest.FakeClock). Timers fire at an instant rather than after a
// delay, so that a fake clock moved between reading the time and arming
// a timer cannot make the timer late.
type Clock interface {
	Now() time.Time
	// TimerAt returns a timer that fires once the clock reaches at (at
	// once when it already has).
	TimerAt(at time.Time) Timer
}

// Timer is a one-shot timer made by a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was pending.
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) TimerAt(at time.Time) Timer {
	return systemTimer{time.NewTimer(time.Until(at))}
}

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }
