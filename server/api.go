package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/labs"
)

// viewParallel bounds the labs read at once for GET /api/labs.
const viewParallel = 8

// labs answers GET /api/labs: every lab the token may see, in its
// class's order, without the results of their checks.
func (s *Server) labs(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, RouteLabs, "") {
		return
	}
	id := who(r)
	names := id.Labs()
	out := make([]*LabView, len(names))
	sem := make(chan struct{}, viewParallel)
	var wg sync.WaitGroup
	for i, lab := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = s.view(r.Context(), id, lab, false)
		}()
	}
	wg.Wait()
	writeJSON(w, http.StatusOK, out)
}

// lab answers GET /api/labs/{lab}: the lab with its last check's results.
func (s *Server) lab(w http.ResponseWriter, r *http.Request) {
	lab := r.PathValue("lab")
	if !s.allow(w, r, RouteLab, lab) {
		return
	}
	writeJSON(w, http.StatusOK, s.view(r.Context(), who(r), lab, true))
}

// view is lab as the Backend reads it, named for id's class, with what
// this server is running on it. A lab that cannot be read is shown with
// its problem, never left out: a board lists every student.
func (s *Server) view(ctx context.Context, id *class.Identity, lab string, full bool) *LabView {
	v, err := s.o.Backend.Lab(ctx, lab, full)
	if err != nil {
		v = &LabView{State: StateDown, Problem: err.Error()}
	}
	v.Lab, v.Class = lab, id.Class
	v.Student = strings.TrimPrefix(lab, id.Class+"-")
	if v.Hosts == nil {
		v.Hosts = []Node{}
	}
	if v.Containers == nil {
		v.Containers = []Node{}
	}
	if v.Expectations == nil {
		v.Expectations = []Expectation{}
	}
	v.Busy = s.busyWith(lab)
	return v
}

// graph answers GET /api/labs/{lab}/graph: the lab's picture, an SVG
// image the pages show in an <img>, where no script of it runs.
func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	lab := r.PathValue("lab")
	if !s.allow(w, r, RouteGraph, lab) {
		return
	}
	svg, err := s.o.Backend.Graph(r.Context(), lab)
	if err != nil {
		s.backendError(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_, _ = w.Write(svg)
}

// check answers POST /api/labs/{lab}/check: the check starts (202) and
// its result comes as events. A student may ask once per CheckEvery.
func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	lab := r.PathValue("lab")
	if !s.allow(w, r, RouteCheck, lab) {
		return
	}
	id := who(r)
	if id.Role == class.RoleStudent {
		if ok, wait := s.checks.allow(key(id)); !ok {
			tooMany(w, wait, "one check every "+s.o.CheckEvery.String())
			return
		}
	}
	s.startJob(w, lab, "check", s.o.Backend.Check)
}

// reset answers POST /api/labs/{lab}/reset (teacher only): the copy is
// taken back to its start (202), its progress comes as events.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	lab := r.PathValue("lab")
	if !s.allow(w, r, RouteReset, lab) {
		return
	}
	s.startJob(w, lab, "reset", s.o.Backend.Reset)
}

// traceRequest is the body of POST /api/labs/{lab}/trace.
type traceRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// trace answers POST /api/labs/{lab}/trace: the path between two nodes
// of the lab, hop by hop. Rate-limited with checks: it reads every
// daemon on the path.
func (s *Server) trace(w http.ResponseWriter, r *http.Request) {
	lab := r.PathValue("lab")
	if !s.allow(w, r, RouteTrace, lab) {
		return
	}
	var req traceRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a request body is at most %d bytes", maxBody))
		return
	}
	if err != nil || req.From == "" || req.To == "" {
		httpError(w, http.StatusBadRequest, "want {\"from\": NODE, \"to\": NODE or ADDRESS}")
		return
	}
	if id := who(r); id.Role == class.RoleStudent {
		if ok, wait := s.checks.allow(key(id)); !ok {
			tooMany(w, wait, "one check or trace every "+s.o.CheckEvery.String())
			return
		}
	}
	res, err := s.o.Backend.Trace(r.Context(), lab, req.From, req.To)
	if err != nil {
		s.backendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func tooMany(w http.ResponseWriter, wait time.Duration, what string) {
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	httpError(w, http.StatusTooManyRequests, fmt.Sprintf("%s: try again in %ds", what, int(wait.Seconds())+1))
}

// backendError answers with the status of a Backend's error.
func (s *Server) backendError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNoNode):
		httpError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrLabDown):
		httpError(w, http.StatusConflict, err.Error())
	case errors.Is(err, ErrNoTrace):
		httpError(w, http.StatusNotImplemented, err.Error())
	case errors.Is(err, labs.ErrUsage):
		httpError(w, http.StatusBadRequest, err.Error()) // a trace's endpoints that are no node or address
	default:
		httpError(w, http.StatusInternalServerError, err.Error())
	}
}

// startJob runs a check or reset of lab in the background, one job per
// lab at a time and MaxJobs in all, and answers 202 (409 when the lab
// is busy already). Its start and end are events (BusyEvent).
func (s *Server) startJob(w http.ResponseWriter, lab, what string, run func(context.Context, string) error) {
	s.busyMu.Lock()
	if cur := s.busy[lab]; cur != "" {
		s.busyMu.Unlock()
		httpError(w, http.StatusConflict, "a "+cur+" of "+lab+" is running")
		return
	}
	s.busy[lab] = what
	s.busyMu.Unlock()
	s.live.Add(1)
	s.hub.publish(events.Event{Time: time.Now().UTC(), Lab: lab, Type: BusyEvent, Fields: map[string]any{"busy": what}})
	go func() {
		defer s.live.Done()
		var err error
		select {
		case s.jobs <- struct{}{}:
			err = run(s.base, lab)
			<-s.jobs
		case <-s.base.Done():
			err = s.base.Err()
		}
		s.busyMu.Lock()
		delete(s.busy, lab)
		s.busyMu.Unlock()
		f := map[string]any{"busy": ""}
		if err != nil {
			f["error"] = err.Error()
			s.logf("%s of %s: %v", what, lab, err)
		}
		s.hub.publish(events.Event{Time: time.Now().UTC(), Lab: lab, Type: BusyEvent, Fields: f})
	}()
	writeJSON(w, http.StatusAccepted, map[string]string{"lab": lab, "busy": what})
}

func (s *Server) busyWith(lab string) string {
	s.busyMu.Lock()
	defer s.busyMu.Unlock()
	return s.busy[lab]
}
