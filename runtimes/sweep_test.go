package runtimes

import (
	"context"
	"slices"
	"testing"
	"time"
)

// danglingDriver answers each DanglingImages call with the next listing.
type danglingDriver struct {
	*taggingDriver
	listings [][]string
}

func (d *danglingDriver) DanglingImages(context.Context, map[string]string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.listings) == 0 {
		return nil, nil
	}
	l := d.listings[0]
	d.listings = d.listings[1:]
	return l, nil
}

// TestSweepSparesBuildsInProgress: an untagged copy left by a race is
// removed, but an image another server's build has made and is about to
// tag (untagged at the first look, tagged at the second) is not: removing
// it failed that build with "failed to get digest".
func TestSweepSparesBuildsInProgress(t *testing.T) {
	f := &fakeDriver{images: map[string]bool{}}
	d := &danglingDriver{
		taggingDriver: &taggingDriver{fakeDriver: f},
		listings:      [][]string{{"sha256:leftover", "sha256:building"}, {"sha256:leftover"}},
	}
	r := NewRegistry(d)
	r.SweepGrace = time.Millisecond
	r.sweep(context.Background(), "lambda-base/python:3.11-debian12")
	if !slices.Equal(f.removed, []string{"sha256:leftover"}) {
		t.Errorf("removed %v, want only the leftover", f.removed)
	}
}
