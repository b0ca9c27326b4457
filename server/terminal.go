package server

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/internal/webterm"
)

// terminal answers GET /api/labs/{lab}/terminal/{node}: a websocket
// (internal/webterm's protocol) carrying a terminal on node, a
// container or an emulated host of lab. The page must be this server's
// own (Origin). A student may open TerminalBurst terminals at once and
// one every TerminalEvery after that, and hold MaxTerminals open.
func (s *Server) terminal(w http.ResponseWriter, r *http.Request) {
	lab, node := r.PathValue("lab"), r.PathValue("node")
	if !s.allow(w, r, RouteTerminal, lab) {
		return
	}
	if !originOK(r) {
		httpError(w, http.StatusForbidden, "terminal refused: the page is not this server's")
		return
	}
	id := who(r)
	v, err := s.o.Backend.Lab(r.Context(), lab, false)
	if err != nil {
		s.backendError(w, err)
		return
	}
	if !hasNode(v, node) {
		httpError(w, http.StatusNotFound, "lab "+lab+" has no host or container "+node)
		return
	}
	if id.Role == class.RoleStudent {
		if ok, wait := s.termOpens.allow(key(id)); !ok {
			tooMany(w, wait, "too many terminals opened")
			return
		}
	}
	if !s.termsOpen.take(key(id)) {
		httpError(w, http.StatusTooManyRequests, "too many terminals open: close one first")
		return
	}
	defer s.termsOpen.put(key(id))
	s.live.Add(1)
	defer s.live.Done()

	// A terminal lives as long as its socket: no handler deadline.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	c, err := webterm.Accept(w, r, webterm.Options{CheckOrigin: originOK})
	if err != nil {
		return
	}
	t, err := s.o.Backend.Terminal(r.Context(), lab, node, 80, 24)
	if err != nil {
		s.logf("terminal %s %s: %v", lab, node, err)
		msg := "could not open the terminal"
		if errors.Is(err, ErrNoNode) || errors.Is(err, ErrLabDown) {
			msg = err.Error()
		}
		c.Fail(msg)
		return
	}
	s.logf("terminal %s %s opened by %s", lab, node, describe(id))
	ctx, stop := s.requestContext(r)
	defer stop()
	if err := c.Serve(ctx, t); err != nil {
		s.logf("terminal %s %s: %v", lab, node, err)
	}
}

// hasNode reports whether node is one of v's hosts or containers,
// exactly: a name from a URL never reaches the Backend unchecked.
func hasNode(v *LabView, node string) bool {
	is := func(n Node) bool { return n.Name == node }
	return node != "" && (slices.ContainsFunc(v.Hosts, is) || slices.ContainsFunc(v.Containers, is))
}
