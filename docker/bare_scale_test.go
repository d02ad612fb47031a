package docker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestScaleStart(t *testing.T) {
	d := bareDriver(t)
	img := testImage(t, d)
	took, err := d.ScaleStart(t.Context(), img, 8080, 3)
	if err != nil {
		t.Fatal(err)
	}
	if took <= 0 || took > bareReadyTimeout {
		t.Errorf("starting 3 took %s, want a positive time under %s", took, bareReadyTimeout)
	}
	requireNoContainers(t, d)
}

func TestScaleStartRefusesNothingToStart(t *testing.T) {
	d := bareDriver(t)
	if _, err := d.ScaleStart(t.Context(), "any:v1", 8080, 0); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("ScaleStart of 0 = %v, want EINVALID", err)
	}
}

// A container that exits fails the whole start, and none is left behind.
func TestScaleStartCleansUpOnFailure(t *testing.T) {
	d := bareDriver(t)
	img := catImage(t, d)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := d.ScaleStart(ctx, img, 8080, 2)
	if lambda.ErrorCode(err) != lambda.EFUNCTION || !strings.Contains(err.Error(), "exited") {
		t.Errorf("starting containers that exit = %v, want EFUNCTION saying they exited", err)
	}
	requireNoContainers(t, d)
}
