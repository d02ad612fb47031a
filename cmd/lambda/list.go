package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type listOptions struct {
	out     listOutput
	project string // --project: only its functions
}

func newListCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List functions",
		Args:    argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(cmd.Context(), s, root, o)
		},
	}
	addListFlags(cmd, &o.out, "names")
	cmd.Flags().StringVar(&o.project, "project", "", "list only the functions of this project (deployed from a lambda.yaml with project:)")
	return cmd
}

func runList(ctx context.Context, s *streams, root *rootOptions, o *listOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	var fns []lambdahttp.FunctionSummary
	var err error
	if o.project != "" {
		if verr := lambda.ValidateProjectName(o.project); verr != nil {
			return usageErrorf("--project: %s", lambda.ErrorMessage(verr))
		}
		fns, err = root.client().ListProjectFunctions(ctx, o.project)
	} else {
		fns, err = root.client().ListFunctions(ctx)
	}
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, fns)
	}
	if o.out.quiet {
		names := make([]string, len(fns))
		for i, f := range fns {
			names[i] = f.Name
		}
		return printQuiet(s.Out, names)
	}
	if len(fns) == 0 && o.project != "" {
		fmt.Fprintf(s.Err, "Project %q has no functions: deploy it with \"lambda deploy DIR\" (its lambda.yaml says project: %s).\n", o.project, o.project)
		return nil
	}
	if len(fns) == 0 {
		fmt.Fprintln(s.Err, `No functions yet: deploy one with "lambda deploy DIR".`)
		return nil
	}
	now := time.Now()
	p := painter{on: colours(s, root.noColor)}
	tw := newTable(s.Out)
	// The PROJECT column shows once some function belongs to one.
	projects := slices.ContainsFunc(fns, func(f lambdahttp.FunctionSummary) bool { return f.Project != "" })
	project := func(f lambdahttp.FunctionSummary) string {
		if !projects {
			return ""
		}
		return orDash(f.Project) + "\t"
	}
	head := ""
	if projects {
		head = "PROJECT\t"
	}
	fmt.Fprintf(tw, "NAME\t%sVERSION\tRUNTIME\t%s\tURL\tUPDATED\n", head, p.header("STATUS"))
	for _, f := range fns {
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\n", f.Name, project(f), listedVersion(f), orDash(f.Runtime), p.status(orDash(f.Status)), orDash(f.URL), age(now, f.UpdatedAt))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// listedVersion is f's version, "-" for none or an external function's.
func listedVersion(f lambdahttp.FunctionSummary) string {
	if f.Version == 0 || f.Runtime == lambda.RuntimeExternal {
		return "-"
	}
	return fmt.Sprint(f.Version)
}
