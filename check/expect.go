package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
	"golang.org/x/sync/errgroup"
)

// KindExpect is the kind of a result that grades one expect: entry.
const KindExpect = "expect"

// Probes of expect: entries. A reply on a lab comes within milliseconds:
// reach: true gives it three tries of a second, as the built-in probes do;
// reach: false listens for one second in all, long enough that a reply
// would have come, short enough that a class's check stays quick.
var (
	reachEcho  = probe.Echo{Size: 56, Timeout: time.Second, Tries: 3}
	silentEcho = probe.Echo{Size: 56, Timeout: 500 * time.Millisecond, Tries: 2}
)

// rttSamples round trips are measured for an rtt: entry; their median is
// graded, so one slow first packet (ARP, an OVS upcall) does not decide it.
const rttSamples = 5

// maxExpectProbes bounds the expectations probed at once.
const maxExpectProbes = 16

// runExpectations grades the expect: entries exps of t from this
// machine, mtu: entries after the others (expectPhases). pids are the
// PIDs of the containers running here.
func runExpectations(ctx context.Context, t *topology.Topology, exps []topology.Expectation, st *labs.State, pids map[string]int) []Result {
	out := make([]Result, len(exps))
	for _, phase := range expectPhases(exps) {
		var g errgroup.Group
		g.SetLimit(maxExpectProbes)
		for _, i := range phase {
			g.Go(func() error {
				out[i] = gradeExpectation(ctx, t, st, pids, exps[i])
				return nil // a failed expectation is a result, not an error
			})
		}
		_ = g.Wait()
	}
	keepPaths(out)
	return out
}

// expectPath is the trace of an expect: entry: at its mtu: size, else at
// the size of its probes.
func expectPath(e topology.Expectation) *Path {
	size := reachEcho.Size + ipICMPHeaders
	if e.Kind == topology.ExpectMTU {
		size = e.MTU
	}
	return &Path{From: e.From, To: e.To, Size: size}
}

func gradeExpectation(ctx context.Context, t *topology.Topology, st *labs.State, pids map[string]int, e topology.Expectation) Result {
	r := Result{Kind: KindExpect, From: e.From, To: e.To, Want: e.Want(), Message: e.Message, Stage: e.Stage, Path: expectPath(e)}
	if e.To != e.Dst.String() {
		r.To = fmt.Sprintf("%s (%s)", e.To, e.Dst)
	}
	switch {
	case e.WAN && st.Mode != labs.ModeEmulated:
		r.OK, r.Skipped = true, true
		r.Detail = "wan is the emulated internet: only labs up with --emulate have one"
		return r
	case ctx.Err() != nil:
		r.Detail = ctx.Err().Error()
		return r
	}
	netns, skip, fail := sender(t, st, pids, e)
	switch {
	case skip != "":
		r.OK, r.Skipped, r.Detail = true, true, skip
		return r
	case fail != "":
		r.Detail = fail
		return r
	}
	switch e.Kind {
	case topology.ExpectReach:
		if e.Reach {
			r.OK, r.Detail = gradeReach(ctx, netns, e.Dst)
		} else {
			r.OK, r.Detail = gradeSilence(ctx, netns, e, t.ControlAddr(e.From, e.Dst))
		}
	case topology.ExpectMTU:
		r.OK, r.Detail = gradeMTU(ctx, netns, e, t.HintsIn(st.Stage))
	case topology.ExpectRTT:
		r.OK, r.Detail = gradeRTT(ctx, netns, e)
	default:
		r.Detail = fmt.Sprintf("unknown expectation %q", e.Kind)
	}
	return r
}

func gradeReach(ctx context.Context, netns string, dst netip.Addr) (bool, string) {
	echo := reachEcho
	echo.Dst = dst
	rtt, err := ping(ctx, netns, echo)
	if err != nil {
		return false, fmt.Sprintf("no reply from %s (%d tries of %s)%s", dst, echo.Tries, echo.Timeout, unlessNoReply(err))
	}
	return true, "reply in " + round(rtt)
}

// gradeSilence passes when e.Dst does not answer and control, an address
// that must answer, does: silence from a node that reaches nothing proves
// nothing. Without a control address (nothing else on the sender's
// networks) it can never pass; validate warns of such an entry.
func gradeSilence(ctx context.Context, netns string, e topology.Expectation, control netip.Addr) (bool, string) {
	if !control.IsValid() {
		return false, fmt.Sprintf("cannot be graded: nothing on %s's networks must answer it (no gateway, no other station in its VLAN), so silence would look the same if %s were broken", e.From, e.From)
	}
	echo := silentEcho
	echo.Dst = e.Dst
	switch rtt, err := ping(ctx, netns, echo); {
	case err == nil:
		return false, fmt.Sprintf("%s replied in %s, but must not be reachable", e.Dst, round(rtt))
	case ctx.Err() != nil:
		return false, ctx.Err().Error() // interrupted: silence proves nothing
	}
	silence := fmt.Sprintf("no reply from %s in %s", e.Dst, time.Duration(echo.Tries)*echo.Timeout)
	ctl := reachEcho
	ctl.Dst = control
	if _, err := ping(ctx, netns, ctl); err != nil {
		return false, fmt.Sprintf("%s, but the control %s did not reply either: a container that reaches nothing proves nothing", silence, control)
	}
	return true, fmt.Sprintf("%s; control %s replied", silence, control)
}

// sender is where e's probes start: the netns path of its container, or
// of its host when it sends through a host port. skip says why this
// machine does not grade e, fail why it cannot.
func sender(t *topology.Topology, st *labs.State, pids map[string]int, e topology.Expectation) (netns, skip, fail string) {
	if e.FromHost {
		switch {
		case !slices.Contains(st.Hosts, e.From):
			return "", fmt.Sprintf("%s is another machine: ovslab check there grades this", e.From), ""
		case st.Mode == labs.ModeEmulated:
			return nsutil.Path(labs.NetnsName(st.Lab, e.From)), "", ""
		}
		return "", "", "" // a real host: ovslab runs in its namespace
	}
	c, ok := t.ContainerByName(e.From)
	switch {
	case !ok:
		return "", "", fmt.Sprintf("%s is not a container of this lab", e.From)
	case !slices.Contains(st.Hosts, c.Host):
		return "", fmt.Sprintf("%s runs on %s: ovslab check there grades this", c.Name, c.Host), ""
	case pids[c.Name] == 0:
		return "", "", fmt.Sprintf("%s is not running (see ovslab status %s)", c.Name, st.Lab)
	}
	return fmt.Sprintf("/proc/%d/ns/net", pids[c.Name]), "", ""
}

func gradeMTU(ctx context.Context, netns string, e topology.Expectation, hints topology.Hints) (bool, string) {
	echo := reachEcho
	echo.Dst, echo.Size, echo.DF = e.Dst, e.MTU-ipICMPHeaders, true
	rtt, err := ping(ctx, netns, echo)
	switch {
	case errors.Is(err, probe.ErrNoReply) && !hints.Fix():
		return false, fmt.Sprintf("no reply to %d-byte packets with Don't Fragment (%d tries)", e.MTU, echo.Tries)
	case errors.Is(err, probe.ErrNoReply):
		return false, fmt.Sprintf("no reply to %d-byte packets with Don't Fragment (%d tries): a link on the path carries less", e.MTU, echo.Tries)
	case err != nil:
		return false, fmt.Sprintf("%d-byte packet with Don't Fragment: %v", e.MTU, err)
	}
	return true, fmt.Sprintf("%d bytes with Don't Fragment, reply in %s", e.MTU, round(rtt))
}

// ipICMPHeaders is what an ICMP echo adds to its payload: IPv4 20 + ICMP 8.
const ipICMPHeaders = 28

// gradeRTT measures rttSamples round trips, one after another so they do
// not queue behind each other, and grades their median. It gives up once
// most samples are lost.
func gradeRTT(ctx context.Context, netns string, e topology.Expectation) (bool, string) {
	echo := probe.Echo{Dst: e.Dst, Size: 56, Timeout: e.RTTMax + time.Second, Tries: 1}
	var rtts []time.Duration
	lost := 0
	for range rttSamples {
		if ctx.Err() != nil || lost > rttSamples/2 {
			break
		}
		rtt, err := ping(ctx, netns, echo)
		if err != nil {
			lost++
			continue
		}
		rtts = append(rtts, rtt)
	}
	if len(rtts) <= rttSamples/2 {
		return false, fmt.Sprintf("%d of %d round trips to %s got no reply", lost, len(rtts)+lost, e.Dst)
	}
	slices.Sort(rtts)
	med := rtts[len(rtts)/2]
	what := fmt.Sprintf("median of %d round trips %s (min %s, max %s)", len(rtts), round(med), round(rtts[0]), round(rtts[len(rtts)-1]))
	switch {
	case med < e.RTTMin:
		return false, what + fmt.Sprintf(", faster than %s", e.RTTMin)
	case med > e.RTTMax:
		return false, what + fmt.Sprintf(", slower than %s", e.RTTMax)
	}
	return true, what
}

// ping is the one place expectations send probes from; it stops soon
// after ctx ends.
func ping(ctx context.Context, netns string, e probe.Echo) (time.Duration, error) {
	return probe.Ping(ctx, netns, e)
}

// unlessNoReply says what went wrong when it is more than silence, e.g.
// a send refused by the sender's own routing table.
func unlessNoReply(err error) string {
	if errors.Is(err, probe.ErrNoReply) {
		return ""
	}
	return ": " + err.Error()
}

func round(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
