package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// BenchmarkJobShapes weighs the SQL of a job in three shapes on the
// writer's connection (the real schema and pragmas: WAL, synchronous=FULL,
// prepared statements), in the group commits the queue makes (8 creates
// a transaction, riding with the claim of the 8 before and the outcomes
// of the 8 before those: BenchmarkQueueRound32's 0.12 commits per job):
//
//   - today: a multi-row insert into jobs, an update of claimed_at, an
//     outcome's update from VALUES (the shapes of job_create_group.go,
//     job_claim.go and job_outcome.go);
//   - log: the write-behind proposal of issue 10's fourth pass: a create
//     appends a row (seq, id, body) to a log table without indexes, a
//     claim marks it, and the outcome inserts the finished job into jobs
//     once and deletes its log row;
//   - lean: today's, without the indexes and the trigger an outcome moves
//     (jobs_created, jobs_function_status, jobs_ended, jobs_count_update).
//
// It measures what a store redesign could save a job, not the store: the
// shapes carry no idempotency key, schedule or destination, and no reads.
func BenchmarkJobShapes(b *testing.B) {
	for _, shape := range []string{"today", "log", "lean"} {
		b.Run(shape, func(b *testing.B) { benchJobShape(b, shape) })
	}
}

const shapeBatch = 8

func benchJobShape(b *testing.B, shape string) {
	ctx := context.Background()
	db := NewDB(filepath.Join(b.TempDir(), "lambda.db"))
	if err := db.Open(ctx); err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { db.Close(ctx) })
	v := &lambda.Version{Function: "noop", Number: 1, Image: "func-noop:v1", ImageID: "sha256:noop", CodeSHA256: "c0de", CreatedAt: time.Now(),
		Config: lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolAWS, Port: 8080, MemoryBytes: 128 << 20, Timeout: lambda.Duration(time.Second)}}
	if err := NewFunctionStore(db).PublishVersion(ctx, v); err != nil {
		b.Fatalf("PublishVersion: %v", err)
	}
	w := db.write
	setup := `CREATE TABLE job_log (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, body BLOB NOT NULL, claimed_at TEXT) STRICT`
	if shape == "lean" {
		setup = `DROP INDEX jobs_created; DROP INDEX jobs_function_status; DROP INDEX jobs_ended; DROP TRIGGER jobs_count_update`
	}
	if _, err := w.ExecContext(ctx, setup); err != nil {
		b.Fatalf("setup: %v", err)
	}
	rows := func(n, k int) string {
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + ")"
		return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", shapeBatch), ", ") + ")"
	const cols = `id, function, qualifier, trigger, sync, payload, status, attempts, timeout, idempotency_key, payload_hash,
		schedule, overlap, created_at, next_run_at, started_at, finished_at, duration, version, http_status, response,
		response_truncated, function_error, error_type, error_message, history`
	queries := map[string]string{
		"insert":  `INSERT INTO jobs (` + cols + `) VALUES ` + rows(shapeBatch, 26) + ` RETURNING seq`,
		"final":   `INSERT INTO jobs (seq, ` + cols + `) VALUES ` + rows(shapeBatch, 27),
		"claim":   `UPDATE jobs SET claimed_at = ? WHERE seq IN ` + in,
		"outcome": `WITH v(id, status, attempts, started_at, finished_at, duration, version, http_status, response, history) AS (VALUES ` + rows(shapeBatch, 10) + `) UPDATE jobs SET status = v.status, attempts = v.attempts, started_at = v.started_at, finished_at = v.finished_at, duration = v.duration, version = v.version, http_status = v.http_status, response = v.response, history = v.history, claimed_at = NULL FROM v WHERE jobs.id = v.id`,
		"log":     `INSERT INTO job_log (seq, id, body) VALUES ` + rows(shapeBatch, 3),
		"mark":    `UPDATE job_log SET claimed_at = ? WHERE seq IN ` + in,
		"unlog":   `DELETE FROM job_log WHERE seq IN ` + in,
	}
	stmts := map[string]*sql.Stmt{}
	for name, q := range queries {
		if shape != "log" && (name == "log" || name == "mark" || name == "unlog") {
			continue
		}
		st, err := w.PrepareContext(ctx, q)
		if err != nil {
			b.Fatalf("prepare %s: %v", name, err)
		}
		defer st.Close()
		stmts[name] = st
	}
	type job struct {
		id      string
		seq     int64
		created string
	}
	queuedArgs := func(j job) []any {
		return []any{j.id, "noop", "$LATEST", "async", 0, []byte(`{}`), "queued", 0, int64(time.Second), "", "h",
			"", "", j.created, j.created, nil, nil, 0, 0, 0, nil, 0, "", "", "", "[]"}
	}
	history := func(now string) string {
		return `[{"attempt":1,"status":"succeeded","start":"` + now + `","duration":1000000}]`
	}
	var seq int64
	var created, claimed []job
	step := func() {
		now := time.Now().UTC().Format(time.RFC3339Nano)
		fresh := make([]job, shapeBatch)
		for i := range fresh {
			seq++
			fresh[i] = job{id: lambda.NewRequestID(), seq: seq, created: now}
		}
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		exec := func(name string, args ...any) {
			if _, err := tx.StmtContext(ctx, stmts[name]).ExecContext(ctx, args...); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
		}
		var args []any
		if shape == "log" {
			for _, j := range fresh {
				args = append(args, j.seq, j.id, []byte(`{"function":"noop","qualifier":"$LATEST","trigger":"async","payload":{},"timeout":1000000000,"payload_hash":"h","created_at":"`+j.created+`"}`))
			}
			exec("log", args...)
		} else {
			for _, j := range fresh {
				args = append(args, queuedArgs(j)...)
			}
			exec("insert", args...)
		}
		if len(created) == shapeBatch {
			args = []any{now}
			for _, j := range created {
				args = append(args, j.seq)
			}
			exec(map[bool]string{true: "mark", false: "claim"}[shape == "log"], args...)
		}
		if len(claimed) == shapeBatch {
			args = nil
			var seqs []any
			for _, j := range claimed {
				seqs = append(seqs, j.seq)
				if shape == "log" {
					a := queuedArgs(j)
					a[6], a[7], a[15], a[16], a[17], a[18], a[19], a[20], a[25] = "succeeded", 1, now, now, 1000000, 1, 200, []byte(`{}`), history(now)
					args = append(append(args, j.seq), a...)
				} else {
					args = append(args, j.id, "succeeded", 1, now, now, 1000000, 1, 200, []byte(`{}`), history(now))
				}
			}
			if shape == "log" {
				exec("final", args...)
				exec("unlog", seqs...)
			} else {
				exec("outcome", args...)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		claimed, created = created, fresh
	}
	// Enough jobs that the tables and their indexes outgrow a few pages.
	for range 200 {
		step()
	}
	var cpu time.Duration
	jobs := 0
	for b.Loop() {
		c := shapeCPU()
		step()
		cpu += shapeCPU() - c
		jobs += shapeBatch
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(jobs), "cpu-µs/job")
}

// shapeCPU is the process's CPU time, user and system: the commits'
// system calls are part of a job's cost.
func shapeCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
