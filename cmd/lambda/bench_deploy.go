package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/bench"
)

// benchDeployer implements bench.Deployer with the engine's deploy, which
// `lambda deploy` reaches after packing and uploading the directory (a few
// milliseconds for the bench's functions). Its functions are named after
// the run, as the other bench functions are, and removed with them.
type benchDeployer struct{ p *benchPlatform }

func (d benchDeployer) name(name string) string { return "bench-" + name + "-" + d.p.suffix }

// Deploy implements bench.Deployer.
func (d benchDeployer) Deploy(ctx context.Context, name, runtime string, code []byte) error {
	full := d.name(name)
	if !slices.Contains(d.p.deployed, full) {
		d.p.deployed = append(d.p.deployed, full)
	}
	_, err := d.p.eng.Deploy(ctx, lambda.DeployRequest{Name: full, Config: lambda.Config{Runtime: runtime}, Code: bytes.NewReader(code)})
	return err
}

// Delete implements bench.Deployer.
func (d benchDeployer) Delete(ctx context.Context, name string) error {
	full := d.name(name)
	err := d.p.eng.Delete(ctx, full)
	if err == nil || lambda.ErrorCode(err) == lambda.ENOTFOUND {
		d.p.deployed = slices.DeleteFunc(d.p.deployed, func(n string) bool { return n == full })
		return nil
	}
	return err
}

// Endpoint implements bench.Deployer.
func (d benchDeployer) Endpoint(name string) bench.Endpoint { return d.p.endpoint(d.name(name)) }

// PreinitReady implements bench.Preiniter: the function scales to zero
// (no standby) and a generic instance of its runtime is waiting, its code
// read.
func (d benchDeployer) PreinitReady(ctx context.Context, name string) error {
	full := d.name(name)
	zero, idle, noStandby := 0, lambda.Duration(lambda.MinIdleTimeout), lambda.Duration(0)
	if _, err := d.p.eng.UpdateScaling(ctx, full, lambda.ScalingPatch{MinInstances: &zero, IdleTimeout: &idle, StandbyTimeout: &noStandby}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		ins, err := d.p.eng.Instances(ctx, full)
		if err != nil {
			return err
		}
		ready, err := d.p.eng.PreinitReady(ctx, full)
		if err != nil {
			return err
		}
		if len(ins) == 0 && ready > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %d instances left, %d pre-initialized ones ready: %w", full, len(ins), ready, ctx.Err())
		case <-time.After(benchPoll):
		}
	}
}
