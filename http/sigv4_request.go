package http

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/lambdahq/lambda"
)

// The authentication middleware's side of SigV4: reading the body the
// signature covers, finding a key's secret, and answering a refusal as
// Lambda does.

// readSignedBody reads r's whole body (at most max bytes, within the read
// timeout) so that its hash can be checked, and puts it back for the
// handler to read again.
func readSignedBody(w http.ResponseWriter, r *http.Request, timeout time.Duration, max int64) ([]byte, error) {
	tooLarge := lambda.Errorf(lambda.ETOOLARGE, "request must be smaller than %d bytes for the Invoke operation", max)
	if max != lambda.MaxPayloadBytes {
		tooLarge = lambda.Errorf(lambda.ETOOLARGE, "Request must be smaller than %d bytes", max)
	}
	if r.ContentLength > max {
		return nil, tooLarge
	}
	clear := readDeadline(w, timeout)
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	clear()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Else net/http would wait for the rest of the body before answering.
		w.Header().Set("Connection", "close")
	}
	if err != nil {
		return nil, bodyError(err, timeout)
	}
	if int64(len(body)) > max {
		return nil, tooLarge
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return body, nil
}

// keySecretsLookup finds the secret of an access key ID: the key must be
// stored (its state is checked by verifySigV4), and its secret is derived
// from the ID with the server's master key, never read from the store.
func keySecretsLookup(keys lambda.KeyStore, secrets lambda.KeySecrets) sigV4Secret {
	return func(ctx context.Context, id string) (*lambda.Key, string, error) {
		k, err := keys.FindKey(ctx, id)
		if err != nil {
			return nil, "", err
		}
		return k, secrets.Secret(k.ID), nil
	}
}

// Lambda's answers to a request it cannot authenticate or authorize.
var (
	invalidSignatureOutcome   = lambdaOutcome{status: http.StatusForbidden, name: "InvalidSignatureException", fault: "User"}
	unrecognizedClientOutcome = lambdaOutcome{status: http.StatusForbidden, name: "UnrecognizedClientException", fault: "User"}
	missingTokenOutcome       = lambdaOutcome{status: http.StatusForbidden, name: "MissingAuthenticationTokenException", fault: "User"}
	accessDeniedOutcome       = lambdaOutcome{status: http.StatusForbidden, name: "AccessDeniedException", fault: "User"}
)

// authOutcome is how the Invoke API answers an authentication or
// authorization failure; ok is false for any other error, which
// writeLambdaError answers.
func authOutcome(r *http.Request, err error) (o lambdaOutcome, ok bool) {
	switch {
	case errors.Is(err, errInvalidSignature):
		return invalidSignatureOutcome, true
	case errors.Is(err, errUnrecognizedClient):
		return unrecognizedClientOutcome, true
	case lambda.ErrorCode(err) == lambda.EUNAUTHORIZED && r.Header.Get("Authorization") == "":
		return missingTokenOutcome, true
	case lambda.ErrorCode(err) == lambda.EUNAUTHORIZED:
		// A Bearer token that is not an active key.
		return unrecognizedClientOutcome, true
	case lambda.ErrorCode(err) == lambda.EFORBIDDEN:
		return accessDeniedOutcome, true
	}
	return lambdaOutcome{}, false
}

// writeLambdaAuthError answers err on the Invoke API as Lambda would: 403
// with the exception named in X-Amzn-ErrorType.
func (s *Server) writeLambdaAuthError(w http.ResponseWriter, r *http.Request, err error) {
	inv := &lambdaInvocation{requestID: lambda.NewRequestID()}
	if o, ok := authOutcome(r, err); ok {
		inv.writeOutcome(w, o, lambda.ErrorMessage(err))
		return
	}
	s.writeLambdaError(w, r, inv, err)
}
