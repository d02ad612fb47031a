package engine

// reapLoop scales idle pools down to their minimum (to zero by default)
// and keeps the minimum warm, every ReapInterval.
func (e *Engine) reapLoop() {
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.Clock.After(e.ReapInterval):
			e.reap()
		}
	}
}

func (e *Engine) reap() {
	now := e.Clock.Now()
	for _, st := range e.loaded() {
		sc, p := st.effective()
		p.reap(now, sc)
	}
}
