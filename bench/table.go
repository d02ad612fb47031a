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
	fmt.Fprintf(w, "lambda bench (%s) — %s, %d cores, %s/%s, Docker %s, %s, %.0fs\n",
		rep.Mode, rep.Date.Format("2006-01-02 15:04 MST"), m.Cores, m.OS, m.Arch, m.DockerVersion, m.GoVersion, rep.DurationS)
	if m.CPU != "" {
		fmt.Fprintf(w, "cpu: %s\n", m.CPU)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t") }
	ms := func(v float64) string { return formatNumber(v) + " ms" }
	x := func(v float64) string { return formatNumber(v) + "×" }

	wm, c, s, sc := rep.Warm, rep.Cold, rep.Stdio, rep.Scale
	row("")
	row(fmt.Sprintf("WARM (one container; latency at concurrency 1, %d samples each)", wm.LatencySamples), "direct", "gateway", "gateway adds")
	row("  p50", ms(wm.DirectP50Ms), ms(wm.GatewayP50Ms), "+"+ms(wm.AddedP50Ms))
	row("  p99", ms(wm.DirectP99Ms), ms(wm.GatewayP99Ms), "+"+ms(wm.AddedP99Ms))
	row(fmt.Sprintf("  requests/s at concurrency %d", wm.Concurrency), formatNumber(wm.DirectRPS), formatNumber(wm.GatewayRPS), x(wm.RPSRatio))
	row("")
	row(fmt.Sprintf("COLD (no warm instance; %d gateway, %d bare samples)", c.GatewaySamples, c.BareSamples), "bare docker", "gateway", "ratio")
	row("  p50", ms(c.BareP50Ms), ms(c.GatewayP50Ms), x(c.Ratio))
	row("  p99", ms(c.BareP99Ms), ms(c.GatewayP99Ms), "")
	row("")
	row(fmt.Sprintf("STDIO (concurrency %d)", s.Concurrency), "per-call container", "warm pool", "ratio")
	row("  requests/s", formatNumber(s.PerCallRPS), formatNumber(s.PoolRPS), x(s.Ratio))
	row("  p50", ms(s.PerCallP50Ms), ms(s.PoolP50Ms), "")
	row("")
	row(fmt.Sprintf("SCALE (%d instances started in parallel)", sc.Instances), "seconds", "containers/s", "")
	row("  p50 of "+fmt.Sprint(sc.Rounds)+" rounds", formatNumber(sc.SecondsP50), formatNumber(sc.ContainersPerS), "")
	if err := tw.Flush(); err != nil {
		return err
	}
	if wm.Errors+s.Errors+c.Discarded > 0 {
		fmt.Fprintf(w, "\nfailed requests: warm %d, stdio %d; cold samples discarded: %d\n", wm.Errors, s.Errors, c.Discarded)
	}
	fmt.Fprintln(w, "\nTARGETS")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range rep.Targets {
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\t\n", t.Figure, t.Op, formatNumber(t.Goal), formatNumber(t.Measured), t.Verdict())
	}
	return tw.Flush()
}
