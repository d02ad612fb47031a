package main

import (
	"bytes"
	"context"
	"slices"

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
