package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type auditOptions struct {
	since string
	out   listOutput
}

func newAuditCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the control-plane writes: who deployed, deleted, created keys",
		Example: `  lambda audit --since 24h
  lambda audit --since 2026-01-02T00:00:00Z -o json`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAudit(cmd.Context(), s, root, o, time.Now())
		},
	}
	cmd.Flags().StringVar(&o.since, "since", "", "only entries from this long ago (such as 24h or 7d) or this RFC 3339 time on (default: all)")
	addListFlags(cmd, &o.out, "") // entries have no name nor ID to print alone
	return cmd
}

// parseSince reads --since: a duration back from now ("24h", "7d") or an
// RFC 3339 time.
func parseSince(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := lambda.ParseKeyExpiry(v)
	if err != nil {
		return time.Time{}, usageErrorf("--since %q is invalid: use a duration such as 24h or 7d, or a time such as 2026-01-02T15:04:05Z", v)
	}
	return now.Add(-d), nil
}

func runAudit(ctx context.Context, s *streams, root *rootOptions, o *auditOptions, now time.Time) error {
	if err := o.out.check(); err != nil {
		return err
	}
	since, err := parseSince(o.since, now)
	if err != nil {
		return err
	}
	entries, err := root.client().ListAudit(ctx, since)
	if err != nil {
		return err
	}
	if o.out.data() {
		if entries == nil {
			entries = []*lambda.AuditEntry{}
		}
		return o.out.print(s.Out, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(s.Err, "No control-plane writes recorded in that time.")
		return nil
	}
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "TIME\tKEY\tADDRESS\tACTION\tFUNCTION\tTARGET\tRESULT\tSTATUS")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", timestamp(e.Time), orDash(e.KeyID), orDash(e.Addr), e.Action, orDash(e.Function), auditTarget(e), e.Result, e.Status)
	}
	return tw.Flush()
}

// auditTarget shows what an entry's write acted on besides a function as
// `keys revoke` names a key: its ID and quoted name.
func auditTarget(e *lambda.AuditEntry) string {
	switch {
	case e.Target == "":
		return "-"
	case e.TargetName == "":
		return e.Target
	}
	return fmt.Sprintf("%s %q", e.Target, e.TargetName)
}
