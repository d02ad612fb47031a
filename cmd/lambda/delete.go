package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type deleteOptions struct{}

func newDeleteCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &deleteOptions{}
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"rm"},
		Short:   "Delete a function with its versions, instances and schedules",
		Long: `Deletes a function with its versions, instances, schedules and invocations.
Functions that name it as their on_success or on_failure destination keep the
setting, as on AWS Lambda: their records are then not delivered (each of their
invocations says so). The command warns about them.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDelete(cmd.Context(), s, root, o, args[0])
		},
	}
	return cmd
}

func runDelete(ctx context.Context, s *streams, root *rootOptions, _ *deleteOptions, name string) error {
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	c := root.client()
	if err := c.DeleteFunction(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Deleted function %q\n", name)
	for _, d := range destinationsNaming(ctx, c, name) {
		fmt.Fprintf(s.Err, "Warning: function %q names %q as its %s destination: its records will not be delivered until you change it, e.g. lambda config %s --%s \"\"\n",
			d.from, name, d.Setting, d.from, dashed(d.Setting))
	}
	return nil
}

// namedDestination is a destination setting of function from.
type namedDestination struct {
	from string
	lambda.Destination
}

// destinationsNaming returns the destination settings of other functions
// that name function. It is a best effort, for a warning: a function the
// key may not read, or a failed request, is passed over.
func destinationsNaming(ctx context.Context, c *lambdahttp.Client, function string) []namedDestination {
	list, err := c.ListFunctions(ctx)
	if err != nil {
		return nil
	}
	var out []namedDestination
	for _, f := range list {
		if f.Name == function {
			continue
		}
		d, err := c.GetFunction(ctx, f.Name)
		if err != nil {
			continue
		}
		for _, dst := range d.Scaling.Destinations() {
			if dst.Function == function {
				out = append(out, namedDestination{f.Name, dst})
			}
		}
	}
	return out
}

// dashed turns a setting's name (on_failure) into its flag's (on-failure).
func dashed(setting string) string { return strings.ReplaceAll(setting, "_", "-") }
