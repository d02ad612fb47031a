package engine

import (
	"context"
	"sort"
	"time"

	"github.com/lambdahq/lambda"
)

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
		for _, p := range st.pools() {
			p.reap(now, st.scalingOf(p), e.StandbyMemory > 0)
			p.refillSpare()
		}
	}
	e.enforceStandbyBudget()
}

// reap takes instances idle for longer than the idle timeout out of
// service, keeping the minimum in service: it pauses them when the
// function has a standby timeout and the host a standby budget
// (standby.go), else stops them. It stops instances paused for longer than
// the standby timeout, and brings the pool up to its minimum, resuming
// paused instances before starting new ones.
func (p *pool) reap(now time.Time, sc lambda.Scaling, standby bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.draining {
		return
	}
	standbyFor := sc.Standby()
	var idle, expired []*instance
	for _, in := range p.instances {
		switch {
		case in.paused:
			if !standby || now.Sub(in.pausedAt) >= standbyFor {
				expired = append(expired, in)
			}
		case in.inflight == 0 && now.Sub(in.idleSince) >= time.Duration(sc.IdleTimeout):
			idle = append(idle, in)
		}
	}
	for _, in := range expired {
		p.removeLocked(in)
		p.e.stopInstance(in)
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].idleSince.Before(idle[j].idleSince) })
	active := p.activeLocked()
	for _, in := range idle {
		if active <= sc.MinInstances {
			break
		}
		active--
		if standby && standbyFor > 0 && len(p.queue) == 0 && p.pauseLocked(in, now) {
			continue
		}
		p.removeLocked(in)
		p.e.stopInstance(in)
	}
	for active+p.starting < sc.MinInstances {
		in := p.resumeLocked()
		if in == nil {
			break
		}
		// In service again without a request: its taker, or the
		// background thaw, unpauses it.
		in.inflight--
		in.requests--
		active++
		p.e.background(func(ctx context.Context) { p.e.thawQuietly(in) })
	}
	for active+p.starting < sc.MinInstances && p.e.reserveSlot() {
		if !p.startLocked(sc) {
			return
		}
	}
}
