package http

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// A window no line can match is a 400 that says why, not an empty answer:
// until at or before since used to answer 200 with no lines, and a follow
// with until streamed for ever (a new line is never before a time past).
// The CLI refuses both before asking; other clients learn it here.
func TestLogsEmptyWindow(t *testing.T) {
	s, _, _ := newLogsServer(t)
	for _, tc := range []struct {
		name, query string
		status      int
		says        string // in the message
	}{
		{"until before since", "since=2026-12-05T10:00:00Z&until=2026-12-05T09:00:00Z", 400, "is not after since"},
		{"until equal to since", "since=2026-12-05T10:00:00Z&until=2026-12-05T10:00:00Z", 400, "is not after since"},
		{"durations reversed", "since=5m&until=1h", 400, "is not after since"},
		{"follow with until", "follow=1&until=5m", 400, "leave out until to follow"},
		{"follow with a window", "follow=1&since=1h&until=5m", 400, "leave out until to follow"},
		{"a window", "since=1h&until=5m", 200, ""},
		{"until alone", "until=5m", 200, ""},
		{"follow=0 with until", "follow=0&until=5m", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(s, httptest.NewRequest(http.MethodGet, "/v1/functions/greet/logs?"+tc.query, nil))
			if rec.Code != tc.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			if tc.status == http.StatusOK {
				return
			}
			if e := errorOf(t, rec); e.Code != lambda.EINVALID || !strings.Contains(e.Message, tc.says) {
				t.Errorf("%s %q, want %s saying %q", e.Code, e.Message, lambda.EINVALID, tc.says)
			}
		})
	}
}
