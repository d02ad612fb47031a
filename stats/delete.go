package stats

import "github.com/lambdahq/lambda"

var _ lambda.DeleteObserver = (*Recorder)(nil)

// FunctionDeleted implements lambda.DeleteObserver: a deleted function's
// stored minutes go with it (the store deletes them), and a function
// deployed again under the name within the minute must not inherit the
// rest.
func (r *Recorder) FunctionDeleted(name string) { r.Forget(name) }

// Forget drops the minutes of function name not stored yet.
func (r *Recorder) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, m := range r.pending {
		if k.function == name {
			delete(r.pending, k)
			r.release(m)
		}
	}
	v, ok := r.fns.Load(name)
	if !ok {
		return
	}
	f := v.(*function)
	// Under first's mutex no observer grows f's shards.
	f.first.mu.Lock()
	defer f.first.mu.Unlock()
	var buf [shards]*shard
	for _, sh := range f.shards(&buf) {
		if sh != &f.first {
			sh.mu.Lock()
		}
		sh.gone, sh.cur, sh.done = true, nil, nil
		if sh != &f.first {
			sh.mu.Unlock()
		}
	}
	r.fns.CompareAndDelete(name, f)
}
