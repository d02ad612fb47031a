package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// awsRoutes registers the Lambda API's function lifecycle (API version
// 2015-03-31; the operations added later carry their own date) beside its
// Invoke, so that the AWS CLI and SDKs pointed at this server manage
// functions unchanged. Each operation's scope is the one of the platform's
// own route doing the same: reads read, changes deploy.
func (s *Server) awsRoutes(mux *http.ServeMux) {
	s.aws = newAWSState()
	fn := onFunction("function")
	const f = "/2015-03-31/functions"
	s.route(mux, "POST "+f, lambda.ScopeDeploy, s.handleAWSCreateFunction, audited("aws.create-function"))
	// The AWS CLI lists with a trailing slash, the SDKs without.
	s.route(mux, "GET "+f, lambda.ScopeRead, s.handleAWSListFunctions)
	s.route(mux, "GET "+f+"/{$}", lambda.ScopeRead, s.handleAWSListFunctions)
	s.route(mux, "GET "+f+"/{function}", lambda.ScopeRead, s.handleAWSGetFunction, fn)
	s.route(mux, "DELETE "+f+"/{function}", lambda.ScopeDeploy, s.handleAWSDeleteFunction, fn, audited("aws.delete-function"))
	s.route(mux, "GET "+f+"/{function}/configuration", lambda.ScopeRead, s.handleAWSGetConfiguration, fn)
	s.route(mux, "PUT "+f+"/{function}/configuration", lambda.ScopeDeploy, s.handleAWSUpdateConfig, fn, audited("aws.update-function-configuration"))
	s.route(mux, "PUT "+f+"/{function}/code", lambda.ScopeDeploy, s.handleAWSUpdateCode, fn, audited("aws.update-function-code"))
	s.route(mux, "GET "+f+"/{function}/versions", lambda.ScopeRead, s.handleAWSListVersions, fn)
	s.route(mux, "POST "+f+"/{function}/versions", lambda.ScopeDeploy, s.handleAWSPublishVersion, fn, audited("aws.publish-version"))
	s.awsAliasRoutes(mux)

	s.route(mux, "PUT /2017-10-31/functions/{function}/concurrency", lambda.ScopeDeploy, s.handleAWSPutConcurrency, fn, audited("aws.put-function-concurrency"))
	s.route(mux, "DELETE /2017-10-31/functions/{function}/concurrency", lambda.ScopeDeploy, s.handleAWSDeleteConcurrency, fn, audited("aws.delete-function-concurrency"))
	s.route(mux, "GET /2019-09-30/functions/{function}/concurrency", lambda.ScopeRead, s.handleAWSGetConcurrency, fn)

	const e = "/2019-09-25/functions/{function}/event-invoke-config"
	s.route(mux, "PUT "+e, lambda.ScopeDeploy, s.handleAWSPutEventInvokeConfig, fn, audited("aws.put-function-event-invoke-config"))
	s.route(mux, "POST "+e, lambda.ScopeDeploy, s.handleAWSPutEventInvokeConfig, fn, audited("aws.update-function-event-invoke-config"))
	s.route(mux, "GET "+e, lambda.ScopeRead, s.handleAWSGetEventInvokeConfig, fn)
	s.route(mux, "DELETE "+e, lambda.ScopeDeploy, s.handleAWSDeleteEventInvokeConfig, fn, audited("aws.delete-function-event-invoke-config"))
}
