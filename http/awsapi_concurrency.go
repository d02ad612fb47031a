package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// Reserved concurrency and the settings of asynchronous invocations are
// the function's scaling settings (lambda.Scaling): `lambda config` and
// these operations change the same ones.

// awsScalingTarget is the function a concurrency or event-invoke-config
// operation names; only $LATEST (or no qualifier) has such settings here:
// they belong to the function, not to a version.
func (s *Server) awsScalingTarget(ctx context.Context, r *http.Request) (*lambda.Function, error) {
	ref, err := parseFunctionName(r.PathValue("function"))
	if err == nil {
		ref, err = mergeQualifier(ref, r.URL.Query().Get("Qualifier"))
	}
	if err != nil {
		return nil, err
	}
	if ref.Qualifier != "" && ref.Qualifier != latest {
		return nil, invalidParam("Qualifier %s: this server keeps these settings per function, not per version or alias; use $LATEST", ref.Qualifier)
	}
	fn, err := s.Store.FindFunction(ctx, ref.Name)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return nil, s.notFound(ref.Name, "")
	}
	return fn, err
}

func (s *Server) updateAWSScaling(w http.ResponseWriter, r *http.Request, p lambda.ScalingPatch) (*lambda.Function, bool) {
	fn, err := s.awsScalingTarget(r.Context(), r)
	if err == nil {
		fn, err = s.Scaling.UpdateScaling(r.Context(), fn.Name, p)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return nil, false
	}
	return fn, true
}

func (s *Server) handleAWSPutConcurrency(w http.ResponseWriter, r *http.Request) {
	var in awsConcurrency
	if err := s.decodeAWS(w, r, &in, "ReservedConcurrentExecutions"); err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	if in.ReservedConcurrentExecutions == nil || *in.ReservedConcurrentExecutions < 0 {
		s.writeAWSError(w, r, awsErrorf(validationOutcome, "1 validation error detected: Value at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null and must have value greater than or equal to 0"))
		return
	}
	if _, ok := s.updateAWSScaling(w, r, lambda.ScalingPatch{Reserved: in.ReservedConcurrentExecutions}); ok {
		writeAWSJSON(w, http.StatusOK, in)
	}
}

func (s *Server) handleAWSGetConcurrency(w http.ResponseWriter, r *http.Request) {
	fn, err := s.awsScalingTarget(r.Context(), r)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	writeAWSJSON(w, http.StatusOK, awsConcurrency{ReservedConcurrentExecutions: fn.Scaling.Reserved})
}

func (s *Server) handleAWSDeleteConcurrency(w http.ResponseWriter, r *http.Request) {
	none := -1
	if _, ok := s.updateAWSScaling(w, r, lambda.ScalingPatch{Reserved: &none}); ok {
		writeAWSJSON(w, http.StatusNoContent, nil)
	}
}

// eventInvokeFields are the fields of an event-invoke config.
var eventInvokeFields = []string{"MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig.OnSuccess.Destination", "DestinationConfig.OnFailure.Destination"}

// handleAWSPutEventInvokeConfig replaces the settings (Put: an absent
// field takes its default) or changes some (Update, POST).
func (s *Server) handleAWSPutEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	var in awsEventInvokeConfig
	if err := s.decodeAWS(w, r, &in, eventInvokeFields...); err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	p, err := s.eventInvokePatch(in, r.Method == http.MethodPut)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	if fn, ok := s.updateAWSScaling(w, r, p); ok {
		writeAWSJSON(w, http.StatusOK, s.eventInvokeConfigOf(fn, true))
	}
}

func (s *Server) eventInvokePatch(in awsEventInvokeConfig, replace bool) (lambda.ScalingPatch, error) {
	var p lambda.ScalingPatch
	if replace {
		retries, age, none := lambda.DefaultMaxRetries, lambda.Duration(0), ""
		p = lambda.ScalingPatch{MaxRetries: &retries, MaxEventAge: &age, OnSuccess: &none, OnFailure: &none}
	}
	if n := in.MaximumRetryAttempts; n != nil {
		if *n < 0 || *n > lambda.MaxMaxRetries {
			return p, awsErrorf(validationOutcome, "1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and %d", *n, lambda.MaxMaxRetries)
		}
		p.MaxRetries = n
	}
	if n := in.MaximumEventAgeInSeconds; n != nil {
		if *n < 60 || *n > 21600 {
			return p, awsErrorf(validationOutcome, "1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600", *n)
		}
		d := lambda.Duration(time.Duration(*n) * time.Second)
		p.MaxEventAge = &d
	}
	if dc := in.DestinationConfig; dc != nil {
		for _, d := range []struct {
			dst *awsDestination
			set **string
		}{{dc.OnSuccess, &p.OnSuccess}, {dc.OnFailure, &p.OnFailure}} {
			if d.dst == nil {
				continue
			}
			name, err := destinationFunction(d.dst.Destination)
			if err != nil {
				return p, err
			}
			*d.set = &name
		}
	}
	return p, nil
}

// destinationFunction reads a destination ARN: a function of this
// server's (the only destinations it has), "" for none.
func destinationFunction(arn string) (string, error) {
	if arn == "" {
		return "", nil
	}
	if !strings.Contains(arn, ":function:") {
		return "", invalidParam("Destination %s is not supported by this server: only Lambda functions are destinations here (no SQS, SNS or EventBridge)", arn)
	}
	ref, err := parseFunctionName(arn)
	if err != nil {
		return "", invalidParam("Destination %s: %s", arn, lambda.ErrorMessage(err))
	}
	if ref.Qualifier != "" && ref.Qualifier != latest {
		return "", invalidParam("Destination %s: a destination is a function, not one of its versions or aliases", arn)
	}
	return ref.Name, nil
}

// eventInvokeConfigOf describes fn's asynchronous settings; nil when
// they are all the defaults (Lambda: no EventInvokeConfig).
// A Put of the defaults answers them (always).
func (s *Server) eventInvokeConfigOf(fn *lambda.Function, always bool) *awsEventInvokeConfig {
	sc := fn.Scaling
	custom := sc.MaxRetries != nil && *sc.MaxRetries != lambda.DefaultMaxRetries ||
		sc.MaxEventAge != 0 && time.Duration(sc.MaxEventAge) != lambda.DefaultMaxEventAge || sc.OnSuccess != "" || sc.OnFailure != ""
	if !custom && !always {
		return nil
	}
	eff := sc.Effective("")
	age := int(time.Duration(eff.MaxEventAge) / time.Second)
	out := &awsEventInvokeConfig{
		FunctionArn:              s.functionARN(fn.Name, latest),
		LastModified:             float64(fn.UpdatedAt.UnixMilli()) / 1000,
		MaximumRetryAttempts:     eff.MaxRetries,
		MaximumEventAgeInSeconds: &age,
	}
	if sc.OnSuccess != "" || sc.OnFailure != "" {
		out.DestinationConfig = &awsDestinationConfig{}
		if sc.OnSuccess != "" {
			out.DestinationConfig.OnSuccess = &awsDestination{Destination: s.functionARN(sc.OnSuccess, "")}
		}
		if sc.OnFailure != "" {
			out.DestinationConfig.OnFailure = &awsDestination{Destination: s.functionARN(sc.OnFailure, "")}
		}
	}
	return out
}

func (s *Server) handleAWSGetEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	fn, err := s.awsScalingTarget(r.Context(), r)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	c := s.eventInvokeConfigOf(fn, false)
	if c == nil {
		s.writeAWSError(w, r, awsErrorf(lambdaOutcomes[lambda.ENOTFOUND], "The function %s doesn't have an EventInvokeConfig", s.functionARN(fn.Name, latest)))
		return
	}
	writeAWSJSON(w, http.StatusOK, c)
}

func (s *Server) handleAWSDeleteEventInvokeConfig(w http.ResponseWriter, r *http.Request) {
	fn, err := s.awsScalingTarget(r.Context(), r)
	if err == nil && s.eventInvokeConfigOf(fn, false) == nil {
		err = awsErrorf(lambdaOutcomes[lambda.ENOTFOUND], "The function %s doesn't have an EventInvokeConfig", s.functionARN(fn.Name, latest))
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	p, _ := s.eventInvokePatch(awsEventInvokeConfig{}, true)
	if _, ok := s.updateAWSScaling(w, r, p); ok {
		writeAWSJSON(w, http.StatusNoContent, nil)
	}
}
