package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type imagesOptions struct {
	out listOutput
}

func newImagesCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &imagesOptions{}
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the images on the server's host that functions can be deployed from",
		Long: `Images lists the tagged images on the server's Docker host, without the
platform's own function images. Deploy one with "lambda deploy --image".`,
		Example: `  lambda images
  lambda deploy --image nginx:1.27 --name web --port 80`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImages(cmd.Context(), s, root, o)
		},
	}
	addListFlags(cmd, &o.out, "REPOSITORY:TAG names (what --image takes)")
	return cmd
}

func runImages(ctx context.Context, s *streams, root *rootOptions, o *imagesOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	images, err := root.client().ListImages(ctx)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, images)
	}
	if o.out.quiet {
		var tags []string
		for _, img := range images {
			tags = append(tags, img.Tags...)
		}
		return printQuiet(s.Out, tags)
	}
	if len(images) == 0 {
		fmt.Fprintln(s.Err, `No images to deploy: build one with "docker build", or upload one with "lambda deploy --image-archive FILE.tar".`)
		return nil
	}
	now := time.Now()
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "REPOSITORY:TAG\tIMAGE ID\tSIZE\tCREATED")
	for _, img := range images {
		id := strings.TrimPrefix(img.ID, "sha256:")
		if len(id) > 12 {
			id = id[:12]
		}
		for _, tag := range img.Tags {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", tag, id, humanSize(img.Size), age(now, img.CreatedAt))
		}
	}
	return tw.Flush()
}
