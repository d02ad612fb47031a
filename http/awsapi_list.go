package http

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/lambdahq/lambda"
)

// awsPage is a page of a listing: Marker is the opaque key of the last
// item of the page before, MaxItems 1-10000 (default 50).
type awsPage struct {
	after string
	max   int
}

func readAWSPage(r *http.Request) (awsPage, error) {
	q := r.URL.Query()
	p := awsPage{max: 50}
	if m := q.Get("MaxItems"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 10000 {
			return p, awsErrorf(validationOutcome, "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", m)
		}
		p.max = n
	}
	if m := q.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return p, invalidParam("Marker %q is not one this server gave: pass the NextMarker of the page before", m)
		}
		p.after = string(b)
	}
	return p, nil
}

// keyed is one item of a listing with its sort key.
type keyed struct {
	key string
	c   awsFunctionConfiguration
}

// cut returns the page of items (sorted by key) after p.after, and the
// marker of the next page, if any.
func (p awsPage) cut(items []keyed) ([]awsFunctionConfiguration, *string) {
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	i := sort.Search(len(items), func(i int) bool { return items[i].key > p.after })
	out := []awsFunctionConfiguration{}
	for ; i < len(items) && len(out) < p.max; i++ {
		out = append(out, items[i].c)
	}
	if i < len(items) {
		m := base64URL(items[i-1].key)
		return out, &m
	}
	return out, nil
}

// versionKey sorts $LATEST first, then versions by number.
func versionKey(name string, number int) string {
	return fmt.Sprintf("%s\x00%010d", name, number)
}

func (s *Server) handleAWSListFunctions(w http.ResponseWriter, r *http.Request) {
	page, err := readAWSPage(r)
	all := false
	switch fv := r.URL.Query().Get("FunctionVersion"); fv {
	case "":
	case "ALL":
		all = true
	default:
		err = awsErrorf(validationOutcome, "1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]", fv)
	}
	if err == nil && r.URL.Query().Get("MasterRegion") != "" {
		err = invalidParam("MasterRegion is not supported by this server (no Lambda@Edge)")
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	ctx := r.Context()
	fns, err := s.Store.ListFunctions(ctx)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	var items []keyed
	for _, fn := range fns {
		if fn.Active == nil || !allowed(ctx, lambda.ScopeRead, fn.Name) {
			continue
		}
		c, _, err := s.awsDescribe(ctx, fn.Name, "")
		if err != nil {
			continue // deleted since it was listed
		}
		items = append(items, keyed{versionKey(fn.Name, 0), c})
		if !all {
			continue
		}
		versions, err := s.awsVersions(r, fn.Name)
		if err != nil {
			s.writeAWSError(w, r, err)
			return
		}
		items = append(items, versions...)
	}
	for _, c := range s.aws.creating() {
		if allowed(ctx, lambda.ScopeRead, c.FunctionName) {
			c, _, err := s.awsDescribe(ctx, c.FunctionName, "")
			if err == nil && c.State != awsActive {
				items = append(items, keyed{versionKey(c.FunctionName, 0), c})
			}
		}
	}
	out := awsListFunctionsOutput{}
	out.Functions, out.NextMarker = page.cut(items)
	writeAWSJSON(w, http.StatusOK, out)
}

// awsVersions describes every version of name, keyed for a listing.
func (s *Server) awsVersions(r *http.Request, name string) ([]keyed, error) {
	versions, err := s.Store.ListVersions(r.Context(), name)
	if err != nil {
		return nil, err
	}
	meta, err := s.awsMeta(r.Context(), name)
	if err != nil {
		return nil, err
	}
	out := make([]keyed, 0, len(versions))
	for _, v := range versions {
		c := s.awsConfigOf(v, meta, false)
		(*awsUpdate)(nil).apply(&c)
		out = append(out, keyed{versionKey(name, v.Number), c})
	}
	return out, nil
}

// handleAWSListVersions lists $LATEST and every version: each deploy of
// the platform publishes one, so a version exists for each.
func (s *Server) handleAWSListVersions(w http.ResponseWriter, r *http.Request) {
	ref, err := parseFunctionName(r.PathValue("function"))
	var page awsPage
	if err == nil {
		page, err = readAWSPage(r)
	}
	var latestC awsFunctionConfiguration
	if err == nil {
		latestC, _, err = s.awsDescribe(r.Context(), ref.Name, "")
	}
	var items []keyed
	if err == nil {
		items, err = s.awsVersions(r, ref.Name)
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	items = append(items, keyed{versionKey(ref.Name, 0), latestC})
	out := awsListVersionsOutput{}
	out.Versions, out.NextMarker = page.cut(items)
	writeAWSJSON(w, http.StatusOK, out)
}

// handleAWSPublishVersion answers the version $LATEST is: every deploy
// already published it, so publishing again returns it, as Lambda
// returns the last version when nothing changed since.
func (s *Server) handleAWSPublishVersion(w http.ResponseWriter, r *http.Request) {
	var in awsPublishVersionInput
	ref, err := parseFunctionName(r.PathValue("function"))
	if err == nil {
		err = s.decodeAWS(w, r, &in, "CodeSha256", "Description", "RevisionId")
	}
	var cur awsFunctionConfiguration
	if err == nil {
		cur, _, err = s.awsDescribe(r.Context(), ref.Name, "")
	}
	switch {
	case err != nil:
	case cur.LastUpdateStatus == awsInProgress:
		err = awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "The operation cannot be performed at this time. An update is in progress for resource: %s", cur.FunctionArn)
	case cur.State != awsActive:
		err = awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "The operation cannot be performed at this time. The function is %s: %s", cur.State, cur.StateReason)
	case in.CodeSha256 != "" && in.CodeSha256 != cur.CodeSha256:
		err = awsErrorf(preconditionOutcome, "CodeSha256 %s is not the code of $LATEST (%s)", in.CodeSha256, cur.CodeSha256)
	case in.RevisionID != "" && in.RevisionID != cur.RevisionID:
		err = awsErrorf(preconditionOutcome, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	fn, err := s.Store.FindFunction(r.Context(), ref.Name)
	if err != nil {
		s.writeAWSError(w, r, err)
		return
	}
	meta, _ := s.awsMeta(r.Context(), ref.Name)
	c := s.awsConfigOf(fn.Active, meta, false)
	(*awsUpdate)(nil).apply(&c)
	writeAWSJSON(w, http.StatusCreated, c)
}

// base64URL encodes a marker.
func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
