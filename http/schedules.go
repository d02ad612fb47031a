package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

func (s *Server) handleCreateSchedule(w http.ResponseWriter, r *http.Request) {
	var req ScheduleRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	auditFunction(w, req.Function)
	if err := authorizeFunction(r.Context(), lambda.ScopeDeploy, req.Function); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	sch, err := s.newSchedule(req)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if err := s.createSchedule(r.Context(), sch); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.SchedulesChanged()
	respondJSON(w, http.StatusCreated, sch)
}

// createSchedule stores sch unless it duplicates one of its function's
// schedules or exceeds their limit. The check and the insert are one step
// for this server's clients.
func (s *Server) createSchedule(ctx context.Context, sch *lambda.Schedule) error {
	s.schedulesMu.Lock()
	defer s.schedulesMu.Unlock()
	existing, err := s.Schedules.ListSchedules(ctx, sch.Function)
	if err != nil {
		return err
	}
	if err := lambda.CheckNewSchedule(existing, sch); err != nil {
		return err
	}
	return s.Schedules.CreateSchedule(ctx, sch)
}

// checkDeploySchedules validates the schedules a deploy's client creates
// once the function is live: each one, their number and their duplicates.
func (s *Server) checkDeploySchedules(name string, reqs []ScheduleRequest) error {
	var seen []*lambda.Schedule
	for i, req := range reqs {
		req.Function = name
		sch, err := s.newSchedule(req)
		if err == nil {
			err = lambda.CheckNewSchedule(seen, sch)
		}
		if err != nil {
			return lambda.Errorf(lambda.ErrorCode(err), "schedules[%d]: %s", i, lambda.ErrorMessage(err))
		}
		sch.ID = fmt.Sprintf("schedules[%d]", i)
		seen = append(seen, sch)
	}
	return nil
}

// newSchedule validates req and computes its first run.
func (s *Server) newSchedule(req ScheduleRequest) (*lambda.Schedule, error) {
	if err := lambda.ValidateName(req.Function); err != nil {
		return nil, err
	}
	switch req.Overlap {
	case "":
		req.Overlap = lambda.OverlapSkip
	case lambda.OverlapSkip, lambda.OverlapQueue, lambda.OverlapAllow:
	default:
		return nil, lambda.Errorf(lambda.EINVALID, "overlap %q is invalid: use %q (no tick while one is pending), %q (at most one waits for the running one) or %q", req.Overlap, lambda.OverlapSkip, lambda.OverlapQueue, lambda.OverlapAllow)
	}
	if len(req.Data) > 0 && !json.Valid(req.Data) {
		return nil, lambda.Errorf(lambda.EINVALID, "schedule data is not valid JSON")
	}
	if len(req.Data) > lambda.MaxAsyncPayloadBytes { // each tick is an asynchronous invocation
		return nil, lambda.Errorf(lambda.ETOOLARGE, "schedule data is %s, over the %d MB limit of an asynchronous invocation's payload: pass a reference to the data (a URL or a key) instead", lambda.FormatBytes(int64(len(req.Data))), lambda.MaxAsyncPayloadBytes>>20)
	}
	now := time.Now().UTC()
	next, err := s.Cron.Next(req.Cron, req.Timezone, now)
	if err != nil {
		return nil, err
	}
	return &lambda.Schedule{
		Function:  req.Function,
		Cron:      req.Cron,
		Timezone:  lambda.NormalizeTimezone(req.Timezone),
		Data:      req.Data,
		Overlap:   req.Overlap,
		NextRunAt: next,
		CreatedAt: now,
	}, nil
}

func (s *Server) handleListSchedules(w http.ResponseWriter, r *http.Request) {
	fn := r.URL.Query().Get("function")
	if fn != "" {
		if err := authorizeFunction(r.Context(), lambda.ScopeRead, fn); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		if _, err := s.Store.FindFunction(r.Context(), fn); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
	}
	list, err := s.Schedules.ListSchedules(r.Context(), fn)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	// A key limited to functions sees only theirs.
	list = slices.DeleteFunc(list, func(sch *lambda.Schedule) bool { return !allowed(r.Context(), lambda.ScopeRead, sch.Function) })
	if list == nil {
		list = []*lambda.Schedule{}
	}
	respondJSON(w, http.StatusOK, ScheduleList{Schedules: list})
}

func (s *Server) handleDeleteSchedule(w http.ResponseWriter, r *http.Request) {
	// The schedule's function: for the audit, and for a key limited to
	// functions.
	sch, err := s.Schedules.FindSchedule(r.Context(), r.PathValue("id"))
	if err == nil {
		auditFunction(w, sch.Function)
		err = authorizeFunction(r.Context(), lambda.ScopeDeploy, sch.Function)
	}
	if err != nil && lambda.ErrorCode(err) != lambda.ENOTFOUND {
		writeError(w, r, s.Logger, err)
		return
	}
	if err := s.Schedules.DeleteSchedule(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	s.SchedulesChanged()
	w.WriteHeader(http.StatusNoContent)
}
