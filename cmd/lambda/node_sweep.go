package main

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda/docker"
)

// nodeSweepTimeout bounds a node-sweep task: the server waits for the job
// about as long (engine/node_images.go).
const nodeSweepTimeout = 90 * time.Second

// newNodeSweepCommand is the hidden "lambda node-sweep --image REF...":
// the task the Swarm backend runs on every node, from an image of this
// binary, to remove the images the node pulled of deleted functions and
// versions (docker.Swarm.RemoveFromNodes). Not for people: it refuses
// unless the engine behind DOCKER_HOST (the node's socket) is the Swarm
// node its environment names.
func newNodeSweepCommand(s *streams) *cobra.Command {
	var images []string
	cmd := &cobra.Command{
		Use:    "node-sweep --image REF...",
		Short:  "Remove images from this Swarm node's engine (the Swarm backend runs it on every node)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(images) == 0 {
				return usageErrorf("--image is required")
			}
			d, err := docker.New()
			if err != nil {
				return err
			}
			defer d.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), nodeSweepTimeout)
			defer cancel()
			return d.RemoveNodeImages(ctx, os.Getenv(docker.NodeIDEnv), images, s.Out)
		},
	}
	cmd.Flags().StringArrayVar(&images, "image", nil, "an image reference to remove (repeat for more)")
	return withoutServerFlag(cmd)
}
