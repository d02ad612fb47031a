package sqlite

// JobBatchStats returns how many batches s's database committed (or
// failed) and how many writes they carried, for the external benchmarks.
func JobBatchStats(s *JobStore) (batches, ops int64) {
	return s.db.batcher.batches.Load(), s.db.batcher.ops.Load()
}
