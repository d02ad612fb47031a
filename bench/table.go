package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable renders the report as the text table `lambda bench` prints.
func WriteTable(w io.Writer, rep *Report) error {
	m := rep.Machine
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// A line without a tab ends tabwriter's column blocks: each section
	// aligns on its own.
	line := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	row := func(cells ...string) { fmt.Fprintln(tw, "  "+strings.Join(cells, "\t")+"\t") }
	ms := func(v float64) string { return formatNumber(v) + " ms" }
	x := func(v float64) string { return formatNumber(v) + "×" }

	line("lambda bench (%s), %s: %d cores, %s/%s, Docker %s, %s; took %.0fs",
		rep.Mode, rep.Date.Format("2006-01-02 15:04 MST"), m.Cores, m.OS, m.Arch, m.DockerVersion, m.GoVersion, rep.DurationS)
	if m.CPU != "" {
		line("cpu: %s", m.CPU)
	}
	wm, c, s, sc, a := rep.Warm, rep.Cold, rep.Stdio, rep.Scale, rep.Async
	line("")
	line("WARM: one container hit directly and through the gateway")
	row("", "direct", "gateway", "gateway adds")
	row(fmt.Sprintf("p50 at concurrency 1 (%d samples)", wm.LatencySamples), ms(wm.DirectP50Ms), ms(wm.GatewayP50Ms), "+"+ms(wm.AddedP50Ms))
	row("p99 at concurrency 1", ms(wm.DirectP99Ms), ms(wm.GatewayP99Ms), "+"+ms(wm.AddedP99Ms))
	row(fmt.Sprintf("requests/s at concurrency %d", wm.Concurrency), formatNumber(wm.DirectRPS), formatNumber(wm.GatewayRPS), x(wm.RPSRatio)+" of direct")
	row("CPU µs of this process per request, same rounds", formatNumber(wm.DirectCPUUsPerReq), formatNumber(wm.DirectCPUUsPerReq+wm.GatewayCPUUsPerReq), "+"+formatNumber(wm.GatewayCPUUsPerReq))
	line("")
	line("ASYNC: events of the same function through the API (202 once committed), concurrency %d", a.Concurrency)
	row("", "p50", "p99", "")
	row(fmt.Sprintf("dispatch: commit → function receives (%d events, idle queue)", a.DispatchSamples), ms(a.DispatchP50Ms), ms(a.DispatchP99Ms), "")
	row("submit → function receives", ms(a.SubmitToRunP50Ms), "", "")
	row(fmt.Sprintf("a submission at concurrency %d", a.Concurrency), ms(a.EnqueueP50Ms), ms(a.EnqueueP99Ms), "")
	row("", "sync", "async", "ratio")
	row(fmt.Sprintf("202s/s (%d events)", a.Enqueued), "", formatNumber(a.EnqueuePerS), "")
	row(fmt.Sprintf("completed/s (%d rounds of %d events)", a.Rounds, a.JobsPerRound), formatNumber(a.SyncRPS), formatNumber(a.AsyncPerS), x(a.ThroughputRatio)+" of sync")
	row("  the same through the invoke API (no queue)", formatNumber(a.SyncAPIRPS), "", x(a.APIRatio)+" of it")
	row("CPU µs of this process per request/job", formatNumber(a.SyncCPUUs), formatNumber(a.JobCPUUs), x(ratio(a.SyncCPUUs, a.JobCPUUs)))
	line("")
	line("COLD: a request with no warm instance against a bare Docker create+start+first 200")
	row("", "bare docker", "gateway", "ratio")
	row(fmt.Sprintf("p50 (%d bare, %d gateway samples)", c.BareSamples, c.GatewaySamples), ms(c.BareP50Ms), ms(c.GatewayP50Ms), x(c.Ratio))
	row("p99", ms(c.BareP99Ms), ms(c.GatewayP99Ms), "")
	row(fmt.Sprintf("p50 from a paused instance (%d samples)", c.PausedSamples), "", ms(c.PausedP50Ms), x(ratio(c.PausedP50Ms, c.BareP50Ms)))
	row("p99 from a paused instance", "", ms(c.PausedP99Ms), "")
	for _, k := range preinitKinds {
		if f := c.preinit(k.kind); f.Samples > 0 {
			row(fmt.Sprintf("p50 %s, pre-initialized (%d samples)", k.kind, f.Samples), "", ms(f.P50Ms), x(f.Ratio))
		}
	}
	line("")
	line("STDIO: a container per call against the warm pool, concurrency %d", s.Concurrency)
	row("", "per call", "warm pool", "ratio")
	row("requests/s", formatNumber(s.PerCallRPS), formatNumber(s.PoolRPS), x(s.Ratio))
	row("p50", ms(s.PerCallP50Ms), ms(s.PoolP50Ms), "")
	line("")
	line("SCALE: %d instances started in parallel against as many bare Docker starts (p50 of %d rounds)", sc.Instances, sc.Rounds)
	row("", "bare docker", "platform", "ratio")
	row("seconds until all serve", formatNumber(sc.BareSecondsP50), formatNumber(sc.SecondsP50), "")
	row("containers/s", formatNumber(sc.BareContainersPerS), formatNumber(sc.ContainersPerS), x(sc.Ratio))
	if dp := rep.Deploy; dp.Samples > 0 {
		line("")
		line("DEPLOY: seconds from the deploy call until the gateway serves the new code, warm caches (p50 of %d)", dp.Samples)
		row("first deploy of a Go function", formatNumber(dp.FirstGoS)+" s", "", "")
		row("code-only redeploy, Go", formatNumber(dp.RedeployGoS)+" s", "", "")
		row("code-only redeploy, Python", formatNumber(dp.RedeployPythonS)+" s", "", "")
		row("code-only redeploy, Node", formatNumber(dp.RedeployNodeS)+" s", "", "")
	}
	if wm.Errors+s.Errors+c.Discarded+a.Errors+a.FailedJobs > 0 {
		line("")
		line("failed requests: warm %d, stdio %d, async %d; failed jobs: %d; cold samples discarded: %d", wm.Errors, s.Errors, a.Errors, a.FailedJobs, c.Discarded)
	}
	line("")
	line("TARGETS")
	for _, t := range rep.Targets {
		row(t.Figure, t.Op+" "+formatNumber(t.Goal), formatNumber(t.Measured), t.Verdict())
	}
	if len(rep.Failures) > 0 {
		line("")
		line("FAILED: these measurements did not finish; their figures above are missing or partial, their targets left out")
		for _, f := range rep.Failures {
			line("  %s (%s): %s", f.Phase, f.Figures, f.Error)
		}
	}
	return tw.Flush()
}
