package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdahq/lambda"
)

// CreateSchedule asks the server to invoke a function on a cron expression.
func (c *Client) CreateSchedule(ctx context.Context, req ScheduleRequest) (*lambda.Schedule, error) {
	var out lambda.Schedule
	if err := c.doJSON(ctx, http.MethodPost, apiPath("v1", "schedules"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSchedules lists the schedules of function, or all of them when
// function is "".
func (c *Client) ListSchedules(ctx context.Context, function string) ([]*lambda.Schedule, error) {
	p := apiPath("v1", "schedules")
	if function != "" {
		p += "?" + url.Values{"function": {function}}.Encode()
	}
	var out ScheduleList
	if err := c.doJSON(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return out.Schedules, nil
}

// DeleteSchedule removes a schedule by ID.
func (c *Client) DeleteSchedule(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, apiPath("v1", "schedules", id), nil, nil)
}
