package http

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/lambdahq/lambda"
)

// LogQuery selects the lines of a function's logs. Since and Until are
// each either a duration back from now ("10m") or an RFC 3339 time, as the
// server reads them; the other fields are lambda.LogFilter's.
type LogQuery struct {
	Since      string
	Until      string
	Tail       int
	Invocation string
	Version    int
	Instance   string
}

func (q LogQuery) path(name string, follow bool) string {
	v := url.Values{}
	if q.Since != "" {
		v.Set("since", q.Since)
	}
	if q.Until != "" {
		v.Set("until", q.Until)
	}
	if q.Tail > 0 {
		v.Set("tail", strconv.Itoa(q.Tail))
	}
	if q.Invocation != "" {
		v.Set("invocation", q.Invocation)
	}
	if q.Version > 0 {
		v.Set("version", strconv.Itoa(q.Version))
	}
	if q.Instance != "" {
		v.Set("instance", q.Instance)
	}
	if follow {
		v.Set("follow", "1")
	}
	p := apiPath("v1", "functions", name, "logs")
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return p
}

// Logs returns a function's stored lines selected by q, oldest first.
func (c *Client) Logs(ctx context.Context, name string, q LogQuery) ([]lambda.LogLine, error) {
	var out LogList
	if err := c.doJSON(ctx, http.MethodGet, q.path(name, false), nil, &out); err != nil {
		return nil, err
	}
	return out.Lines, nil
}

// FollowLogs calls fn with the stored lines selected by q, then with each
// new one as the server receives it, until ctx ends (nil), fn fails (its
// error) or the server ends the stream (io.ErrUnexpectedEOF: it stopped).
func (c *Client) FollowLogs(ctx context.Context, name string, q LogQuery, fn func(lambda.LogLine) error) error {
	req, err := c.newRequest(ctx, http.MethodGet, q.path(name, true), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", ContentTypeNDJSON)
	resp, err := c.send(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return responseError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 8*lambda.MaxLogLine)
	for sc.Scan() {
		var l lambda.LogLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			if !sc.Scan() && (ctx.Err() != nil || sc.Err() != nil) {
				break // the stream broke in its last line (a cancel, a stop): a cut line, not a bad one
			}
			return fmt.Errorf("decode a followed log line: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("follow the logs of %s: %w", name, err)
	}
	return fmt.Errorf("the server ended the logs of %s (it stopped?): %w", name, io.ErrUnexpectedEOF)
}
