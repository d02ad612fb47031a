package stats

import (
	"context"
	"time"

	"github.com/lambdahq/lambda"
)

// FunctionStats implements lambda.StatsService: the stored minutes of the
// window, the ones a failed flush left in memory and the minutes not
// flushed yet, added up into the window's buckets.
func (r *Recorder) FunctionStats(ctx context.Context, name string, w lambda.StatsWindow) (*lambda.FunctionStats, error) {
	var created time.Time
	if r.Functions != nil {
		fn, err := r.Functions.FindFunction(ctx, name)
		if lambda.ErrorCode(err) == lambda.ENOTFOUND {
			return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found: \"lambda list\" shows the functions there are", name)
		}
		if err != nil {
			return nil, err
		}
		created = fn.CreatedAt
	}
	end := r.now().Truncate(w.Step).Add(w.Step)
	a := &adder{
		start: end.Add(-w.Span), end: end, step: w.Step, created: created,
		counts: make([]lambda.StatsCounts, w.Buckets()), latency: make([]lambda.LatencyHistogram, w.Buckets()),
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	stored, err := r.Store.ListStats(ctx, name, a.start, a.end)
	if err != nil {
		return nil, err
	}
	for _, m := range stored {
		a.add(m.Minute, m.StatsCounts, &m.Latency)
	}
	for k, m := range r.pending {
		if k.function == name {
			a.addMinute(m)
		}
	}
	if v, ok := r.fns.Load(name); ok {
		f := v.(*function)
		var buf [shards]*shard
		for _, sh := range f.shards(&buf) {
			sh.mu.Lock()
			for _, m := range sh.done {
				a.addMinute(m)
			}
			if sh.cur != nil {
				a.addMinute(sh.cur)
			}
			sh.mu.Unlock()
		}
	}
	return a.stats(name, w), nil
}

// adder adds minutes up into a window's buckets.
type adder struct {
	start, end time.Time
	step       time.Duration
	// created: minutes that ended before it are a deleted namesake's.
	created time.Time
	counts  []lambda.StatsCounts
	latency []lambda.LatencyHistogram
}

func (a *adder) addMinute(m *minute) {
	if i, ok := a.bucket(time.Unix(m.unix*60, 0).UTC()); ok {
		a.counts[i].Add(m.StatsCounts)
		m.latency.addTo(&a.latency[i])
	}
}

func (a *adder) add(at time.Time, c lambda.StatsCounts, h *lambda.LatencyHistogram) {
	if i, ok := a.bucket(at); ok {
		a.counts[i].Add(c)
		a.latency[i].Merge(h)
	}
}

// bucket returns the index of the bucket of the minute starting at at;
// false if the window or the function's life does not hold it.
func (a *adder) bucket(at time.Time) (int, bool) {
	if at.Before(a.start) || !at.Before(a.end) || !at.Add(time.Minute).After(a.created) {
		return 0, false
	}
	return int(at.Sub(a.start) / a.step), true
}

func (a *adder) stats(name string, w lambda.StatsWindow) *lambda.FunctionStats {
	st := &lambda.FunctionStats{
		Function: name, Window: w.Name, StepSeconds: int64(w.Step / time.Second),
		Start: a.start.UTC(), End: a.end.UTC(), Buckets: make([]lambda.StatsBucket, len(a.counts)),
	}
	var all lambda.LatencyHistogram
	st.Total.Start = st.Start
	for i := range a.counts {
		b := &st.Buckets[i]
		b.Start = st.Start.Add(time.Duration(i) * w.Step)
		b.StatsCounts = a.counts[i]
		b.SetLatency(&a.latency[i])
		st.Total.StatsCounts.Add(a.counts[i])
		all.Merge(&a.latency[i])
	}
	st.Total.SetLatency(&all)
	return st
}
