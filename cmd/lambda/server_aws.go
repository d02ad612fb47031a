package main

import (
	"path/filepath"

	"github.com/lambdahq/lambda/codestore"
	lhttp "github.com/lambdahq/lambda/http"
	"github.com/spf13/pflag"
)

// awsOptions name the server in the ARNs of the Lambda API.
type awsOptions struct {
	region, account string
}

func (o *awsOptions) register(f *pflag.FlagSet) {
	o.region, o.account = envOr("LAMBDA_AWS_REGION", lhttp.DefaultAWSRegion), envOr("LAMBDA_AWS_ACCOUNT", lhttp.DefaultAWSAccount)
	f.StringVar(&o.region, "aws-region", o.region, "the region in the ARNs the Lambda API answers with (env LAMBDA_AWS_REGION)")
	f.StringVar(&o.account, "aws-account", o.account, "the account ID in the ARNs the Lambda API answers with, 12 digits (env LAMBDA_AWS_ACCOUNT)")
}

// check refuses an account ID no ARN could carry.
func (o awsOptions) check() error {
	if len(o.account) != 12 || o.account != filepath.Base(o.account) {
		return usageErrorf("--aws-account %q is not an account ID: use 12 digits, such as %s", o.account, lhttp.DefaultAWSAccount)
	}
	for _, r := range o.account {
		if r < '0' || r > '9' {
			return usageErrorf("--aws-account %q is not an account ID: use 12 digits, such as %s", o.account, lhttp.DefaultAWSAccount)
		}
	}
	if o.region == "" {
		return usageErrorf("--aws-region is empty: use a region name, such as %s", lhttp.DefaultAWSRegion)
	}
	return nil
}

// apply gives srv the Lambda API's code store, under the data directory.
func (o awsOptions) apply(srv *lhttp.Server, dataDir string) {
	srv.AWSRegion, srv.AWSAccount = o.region, o.account
	srv.AWSCode = codestore.New(filepath.Join(dataDir, "lambda-api"))
}
