package http

import (
	"net/http"
	"slices"

	"github.com/lambdahq/lambda"
)

func (s *Server) handleCreateSchedule(w http.ResponseWriter, r *http.Request) {
	var req ScheduleRequest
	if err := s.readJSONBody(w, r, &req); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	auditFunction(w, req.Function)
	if err := authorizeFunction(r.Context(), lambda.ScopeDeploy, req.Function); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	sch, err := s.schedules().Create(r.Context(), req.spec())
	if err != nil {
		writeError(w, r, s.Logger, s.suggestFunction(r.Context(), err, req.Function))
		return
	}
	s.SchedulesChanged()
	respondJSON(w, http.StatusCreated, sch)
}

// schedules is the ScheduleService; a server whose handler was never built
// (a test calling a method directly) checks with one of its own.
func (s *Server) schedules() lambda.ScheduleService {
	if s.ScheduleService != nil {
		return s.ScheduleService
	}
	return lambda.NewScheduleManager(s.Schedules, s.Cron)
}

// spec is the schedule req asks for.
func (req ScheduleRequest) spec() lambda.ScheduleSpec {
	return lambda.ScheduleSpec{Function: req.Function, Cron: req.Cron, Timezone: req.Timezone, Data: req.Data, Overlap: req.Overlap}
}

// scheduleSpecs are the schedules a deploy of function asks for.
func scheduleSpecs(function string, reqs []ScheduleRequest) []lambda.ScheduleSpec {
	var out []lambda.ScheduleSpec
	for _, req := range reqs {
		req.Function = function
		out = append(out, req.spec())
	}
	return out
}

func (s *Server) handleListSchedules(w http.ResponseWriter, r *http.Request) {
	fn := r.URL.Query().Get("function")
	if fn != "" {
		if err := authorizeFunction(r.Context(), lambda.ScopeRead, fn); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		if _, err := s.Store.FindFunction(r.Context(), fn); err != nil {
			writeError(w, r, s.Logger, s.suggestFunction(r.Context(), err, fn))
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
