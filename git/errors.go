package git

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/lambdahq/lambda"
)

// describe turns a failed clone into an error that tells the user what
// to do. No message carries the token: go-git's errors are redacted
// before they are quoted, and the URL is quoted without credentials.
func (c *Cloner) describe(ctx context.Context, src lambda.GitSource, err error, maxBytes int64, timeout time.Duration) error {
	url := lambda.RedactURL(src.URL)
	var le *lambda.Error
	switch {
	case errors.As(err, &le):
		return err
	case errors.Is(err, errTooLarge):
		return lambda.Errorf(lambda.ETOOLARGE, "repository %s is larger than the limit of %d bytes: deploy a smaller repository, or raise lambda server --git-max-bytes", url, maxBytes)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return lambda.Errorf(lambda.ETIMEOUT, "cloning %s took longer than the limit of %s: check that the URL answers (git ls-remote %s), or raise lambda server --git-timeout", url, timeout, url)
	case ctx.Err() != nil:
		return fmt.Errorf("clone %s: %w", url, context.Cause(ctx))
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return lambda.Errorf(lambda.EINVALID, "repository %s was not found: check the URL (a private repository needs --git-token)", url)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		if src.Token != "" {
			return lambda.Errorf(lambda.EINVALID, "repository %s refused the token: check that --git-token can read it", url)
		}
		return lambda.Errorf(lambda.EINVALID, "repository %s needs credentials: pass an access token with --git-token", url)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return lambda.Errorf(lambda.EINVALID, "repository %s is empty: push a commit first", url)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return lambda.Errorf(lambda.EINVALID, "cannot reach repository %s: %s; check the URL and that the server can reach it", url, redact(err.Error(), src.Token))
	}
	return lambda.Errorf(lambda.EINVALID, "cannot clone %s: %s", url, redact(err.Error(), src.Token))
}

// redact removes secret from s, and the user information of any URL in it.
func redact(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "***")
	}
	fields := strings.Fields(s)
	for i, f := range fields {
		if strings.Contains(f, "://") && strings.Contains(f, "@") {
			// Quotes around the URL stay around it.
			u := strings.TrimLeft(f, `"'`)
			lead := f[:len(f)-len(u)]
			core := strings.TrimRight(u, `"':,;`)
			fields[i] = lead + lambda.RedactURL(core) + u[len(core):]
		}
	}
	return strings.Join(fields, " ")
}
