package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"

	"github.com/lambdahq/lambda"
)

// Lambda's aliases are the platform's (lambda.Alias): `lambda alias` and
// the AWS CLI see and change the same ones, "live" (the active version)
// among them. One additional version with its weight is what both allow.

type awsAliasConfiguration struct {
	AliasArn        string            `json:"AliasArn"`
	Name            string            `json:"Name"`
	FunctionVersion string            `json:"FunctionVersion"`
	Description     string            `json:"Description"`
	RoutingConfig   *awsRoutingConfig `json:"RoutingConfig,omitempty"`
	RevisionID      string            `json:"RevisionId"`
}

type awsRoutingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

type awsAliasInput struct {
	Name            string            `json:"Name"`
	FunctionVersion string            `json:"FunctionVersion"`
	Description     *string           `json:"Description"`
	RoutingConfig   *awsRoutingConfig `json:"RoutingConfig"`
	RevisionID      string            `json:"RevisionId"`
}

type awsListAliasesOutput struct {
	Aliases    []awsAliasConfiguration `json:"Aliases"`
	NextMarker *string                 `json:"NextMarker,omitempty"`
}

// awsAliasName is Lambda's constraint on an alias's name.
var awsAliasName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

func (s *Server) awsAliasRoutes(mux *http.ServeMux) {
	fn := onFunction("function")
	const a = "/2015-03-31/functions/{function}/aliases"
	s.route(mux, "POST "+a, lambda.ScopeDeploy, s.handleAWSSetAlias, fn, audited("aws.create-alias"))
	s.route(mux, "GET "+a, lambda.ScopeRead, s.handleAWSListAliases, fn)
	s.route(mux, "GET "+a+"/{alias}", lambda.ScopeRead, s.handleAWSGetAlias, fn)
	s.route(mux, "PUT "+a+"/{alias}", lambda.ScopeDeploy, s.handleAWSSetAlias, fn, audited("aws.update-alias"))
	s.route(mux, "DELETE "+a+"/{alias}", lambda.ScopeDeploy, s.handleAWSDeleteAlias, fn, audited("aws.delete-alias"))
}

func (s *Server) awsAliasOf(a *lambda.Alias) awsAliasConfiguration {
	out := awsAliasConfiguration{
		AliasArn: s.functionARN(a.Function, a.Name), Name: a.Name, FunctionVersion: strconv.Itoa(a.Version),
		Description: a.Description,
	}
	if a.AdditionalVersion != 0 {
		out.RoutingConfig = &awsRoutingConfig{AdditionalVersionWeights: map[string]float64{strconv.Itoa(a.AdditionalVersion): a.Weight}}
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d/%d/%g/%s/%d", a.Function, a.Name, a.Version, a.AdditionalVersion, a.Weight, a.Description, a.UpdatedAt.UnixNano())))
	x := hex.EncodeToString(h[:16])
	out.RevisionID = x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
	return out
}

// awsAliasTarget is the function (checked) and alias service of a request.
func (s *Server) awsAliasTarget(ctx context.Context, r *http.Request) (lambda.AliasService, string, error) {
	as, err := s.aliases()
	if err != nil {
		return nil, "", err
	}
	ref, err := parseFunctionName(r.PathValue("function"))
	if err != nil {
		return nil, "", err
	}
	if _, err := s.Store.FindFunction(ctx, ref.Name); lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return nil, "", s.notFound(ref.Name, "")
	} else if err != nil {
		return nil, "", err
	}
	return as, ref.Name, nil
}

// aliasNotFound is Lambda's answer for an alias that does not exist.
func (s *Server) aliasNotFound(function, name string, err error) error {
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return awsErrorf(lambdaOutcomes[lambda.ENOTFOUND], "Alias not found: %s", s.functionARN(function, name))
	}
	return err
}

// handleAWSSetAlias is CreateAlias (POST, Name in the body: refused when
// the alias exists) and UpdateAlias (PUT: the alias must exist; an absent
// field keeps its value).
func (s *Server) handleAWSSetAlias(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in awsAliasInput
	err := s.decodeAWS(w, r, &in, "Name", "FunctionVersion", "Description", "RoutingConfig.AdditionalVersionWeights", "RevisionId")
	var as lambda.AliasService
	var function string
	if err == nil {
		as, function, err = s.awsAliasTarget(ctx, r)
	}
	create := r.Method == http.MethodPost
	if !create {
		in.Name = r.PathValue("alias")
	}
	if err == nil && !awsAliasName.MatchString(in.Name) {
		err = awsErrorf(validationOutcome, "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", in.Name)
	}
	var a *lambda.Alias
	if err == nil {
		a, err = as.GetAlias(ctx, function, in.Name)
		switch {
		case create && err == nil:
			err = awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "Alias already exists: %s", s.functionARN(function, in.Name))
		case create && lambda.ErrorCode(err) == lambda.ENOTFOUND:
			a, err = &lambda.Alias{Function: function, Name: in.Name}, nil
		case err != nil:
			err = s.aliasNotFound(function, in.Name, err)
		case in.RevisionID != "" && in.RevisionID != s.awsAliasOf(a).RevisionID:
			err = awsErrorf(preconditionOutcome, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
		}
	}
	if err == nil {
		err = applyAWSAlias(a, in, create)
	}
	if err == nil {
		a, err = as.SetAlias(ctx, a)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	writeAWSJSON(w, map[bool]int{true: http.StatusCreated, false: http.StatusOK}[create], s.awsAliasOf(a))
}

// applyAWSAlias sets in's fields on a.
func applyAWSAlias(a *lambda.Alias, in awsAliasInput, create bool) error {
	switch {
	case in.FunctionVersion == latest:
		return invalidParam("FunctionVersion $LATEST: an alias here names a published version (the live alias follows $LATEST); give a version number")
	case in.FunctionVersion != "":
		n, ok := lambda.VersionNumber(in.FunctionVersion)
		if !ok {
			return invalidParam("FunctionVersion %q is not a version number", in.FunctionVersion)
		}
		a.Version = n
	case create:
		return awsErrorf(validationOutcome, "1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if rc := in.RoutingConfig; rc != nil {
		a.AdditionalVersion, a.Weight = 0, 0
		if len(rc.AdditionalVersionWeights) > 1 {
			return invalidParam("RoutingConfig.AdditionalVersionWeights has %d versions: an alias can send traffic to one additional version", len(rc.AdditionalVersionWeights))
		}
		for v, weight := range rc.AdditionalVersionWeights {
			if weight < 0 || weight > 1 || weight != weight {
				return awsErrorf(validationOutcome, "1 validation error detected: Value '{%s=%v}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]", v, weight)
			}
			n, ok := lambda.VersionNumber(v)
			if !ok {
				return invalidParam("RoutingConfig.AdditionalVersionWeights names %q, which is not a version number", v)
			}
			a.AdditionalVersion, a.Weight = n, weight
		}
	}
	return nil
}

func (s *Server) handleAWSGetAlias(w http.ResponseWriter, r *http.Request) {
	as, function, err := s.awsAliasTarget(r.Context(), r)
	var a *lambda.Alias
	if err == nil {
		a, err = as.GetAlias(r.Context(), function, r.PathValue("alias"))
		err = s.aliasNotFound(function, r.PathValue("alias"), err)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	writeAWSJSON(w, http.StatusOK, s.awsAliasOf(a))
}

func (s *Server) handleAWSDeleteAlias(w http.ResponseWriter, r *http.Request) {
	as, function, err := s.awsAliasTarget(r.Context(), r)
	if err == nil {
		err = s.aliasNotFound(function, r.PathValue("alias"), as.DeleteAlias(r.Context(), function, r.PathValue("alias")))
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	writeAWSJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleAWSListAliases(w http.ResponseWriter, r *http.Request) {
	as, function, err := s.awsAliasTarget(r.Context(), r)
	var page awsPage
	if err == nil {
		page, err = readAWSPage(r)
	}
	var list []*lambda.Alias
	if err == nil {
		list, err = as.ListAliases(r.Context(), function)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	only := r.URL.Query().Get("FunctionVersion")
	var all []awsAliasConfiguration
	for _, a := range list {
		if only == "" || only == strconv.Itoa(a.Version) || only == strconv.Itoa(a.AdditionalVersion) {
			all = append(all, s.awsAliasOf(a))
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	i := sort.Search(len(all), func(i int) bool { return all[i].Name > page.after })
	out := awsListAliasesOutput{Aliases: []awsAliasConfiguration{}}
	for ; i < len(all) && len(out.Aliases) < page.max; i++ {
		out.Aliases = append(out.Aliases, all[i])
	}
	if i < len(all) {
		m := base64URL(all[i-1].Name)
		out.NextMarker = &m
	}
	writeAWSJSON(w, http.StatusOK, out)
}
