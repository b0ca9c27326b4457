package containers

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// Impairment is what one end of a link does to the packets it sends. The
// zero value is a plain link.
type Impairment struct {
	Delay  time.Duration
	Jitter time.Duration
	Loss   float64 // percent
	Rate   uint64  // bits per second, 0 = unlimited
}

// IsZero reports whether the link is not impaired.
func (i Impairment) IsZero() bool { return i == Impairment{} }

// impairWords says what became of an impairment: "removed", or its
// settings as the file writes them ("set to rate 2mbit").
func impairWords(i Impairment) string {
	if i.IsZero() {
		return "removed"
	}
	var parts []string
	if i.Delay > 0 {
		parts = append(parts, "delay "+i.Delay.String())
	}
	if i.Jitter > 0 {
		parts = append(parts, "jitter "+i.Jitter.String())
	}
	if i.Loss > 0 {
		parts = append(parts, fmt.Sprintf("loss %g%%", i.Loss))
	}
	switch {
	case i.Rate == 0:
	case i.Rate%1000000 == 0:
		parts = append(parts, fmt.Sprintf("rate %dmbit", i.Rate/1000000))
	case i.Rate%1000 == 0:
		parts = append(parts, fmt.Sprintf("rate %dkbit", i.Rate/1000))
	default:
		parts = append(parts, fmt.Sprintf("rate %dbit", i.Rate))
	}
	return "set to " + strings.Join(parts, " ")
}

// NeedsNetem reports whether the impairment needs the netem qdisc; a rate
// alone is a tbf.
func (i Impairment) NeedsNetem() bool { return i.Delay > 0 || i.Jitter > 0 || i.Loss > 0 }

// ErrNoNetem is wrapped when the kernel has no netem qdisc.
var ErrNoNetem = errors.New("the kernel has no sch_netem (netem qdisc)")

// NetemAvailable reports whether this kernel can make a netem qdisc, by
// making one on the loopback of a throwaway netns: the kernel loads
// sch_netem on demand, so neither /sys/module nor the kernel config tells
// for sure, and trying changes nothing anyone can see.
func NetemAvailable() error {
	return nsutil.Throwaway(func(ns *nsutil.NS) error {
		lo, err := ns.Handle.LinkByName("lo")
		if err != nil {
			return fmt.Errorf("netem probe: %w", err)
		}
		q := Impairment{Delay: time.Millisecond}.Qdisc(lo.Attrs().Index, 1500)
		if err := ns.Handle.QdiscAdd(q); err != nil {
			return fmt.Errorf("%w: %v", ErrNoNetem, err)
		}
		return nil
	})
}

// qdiscHandle is the handle of the root qdisc ovslab makes (tc's 1:).
var qdiscHandle = netlink.MakeHandle(1, 0)

// tbfLatency is how long a packet may wait in a tbf queue before it is
// dropped: enough for TCP to find the rate, short enough to keep the
// round trip near the link's own.
const tbfLatency = 50 * time.Millisecond

// Qdisc is the root qdisc that gives the link with index and mtu this
// impairment: netem for delay, jitter or loss (with its own rate when one
// is set), else tbf for a rate alone; nil for none.
func (i Impairment) Qdisc(index, mtu int) netlink.Qdisc {
	attrs := netlink.QdiscAttrs{LinkIndex: index, Handle: qdiscHandle, Parent: netlink.HANDLE_ROOT}
	bytesPerSec := i.Rate / 8
	switch {
	case i.NeedsNetem():
		return netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
			Latency: uint32(i.Delay.Microseconds()),
			Jitter:  uint32(i.Jitter.Microseconds()),
			Loss:    float32(i.Loss),
			Rate64:  bytesPerSec,
		})
	case i.Rate > 0:
		// The bucket holds at least two full frames (a smaller one would
		// drop every full-size packet) or 10ms of traffic.
		burst := max(bytesPerSec/100, uint64(2*(mtu+14)))
		limit := burst + uint64(float64(bytesPerSec)*tbfLatency.Seconds())
		return &netlink.Tbf{
			QdiscAttrs: attrs,
			Rate:       bytesPerSec,
			Limit:      uint32(limit),
			Buffer:     netlink.Xmittime(bytesPerSec, uint32(burst)),
		}
	}
	return nil
}

// convergeQdisc makes want the root qdisc of link, or removes a root
// qdisc ovslab would have made (netem, tbf) when want is zero. An equal
// qdisc is left alone, so its counters survive a repeated up. known is
// link's netns as a dump read it (Link.HostQdiscs), or nil.
func convergeQdisc(h *netlink.Handle, link netlink.Link, known RootQdiscs, mtu int, want Impairment) (changed bool, err error) {
	name := link.Attrs().Name
	cur, err := rootQdisc(h, link, known)
	if err != nil {
		return false, fmt.Errorf("qdiscs of %s: %w", name, err)
	}
	q := want.Qdisc(link.Attrs().Index, mtu)
	switch {
	case q == nil && cur != nil && isOurKind(cur):
		if err := h.QdiscDel(cur); err != nil {
			return false, fmt.Errorf("remove %s qdisc of %s: %w", cur.Type(), name, err)
		}
		return true, nil
	case q == nil || sameQdisc(cur, q):
		return false, nil
	}
	if err := h.QdiscReplace(q); err != nil {
		if want.NeedsNetem() {
			return false, fmt.Errorf("netem qdisc on %s: %w: %v", name, ErrNoNetem, err)
		}
		return false, fmt.Errorf("%s qdisc on %s: %w", q.Type(), name, err)
	}
	return true, nil
}

// RootQdiscs maps each link index of a netns to its root qdisc.
type RootQdiscs map[int]netlink.Qdisc

// ReadRootQdiscs reads the root qdisc of every link in ns in one dump.
// The kernel answers a query for one link's qdiscs with every qdisc of the
// netns, so asking link by link costs O(n²) on a host of n veths.
func ReadRootQdiscs(ns *nsutil.NS) (RootQdiscs, error) {
	return readRootQdiscs(ns.Handle, nil)
}

// readRootQdiscs reads the root qdiscs of the netns, keeping only link's
// when it is not nil.
func readRootQdiscs(h *netlink.Handle, link netlink.Link) (RootQdiscs, error) {
	qs, err := nsutil.Dump(func() ([]netlink.Qdisc, error) { return h.QdiscList(link) })
	if err != nil {
		return nil, err
	}
	out := RootQdiscs{}
	for _, q := range qs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT {
			out[q.Attrs().LinkIndex] = q
		}
	}
	return out, nil
}

// rootQdisc is link's root qdisc (nil when it has the kernel's default),
// looked up in known when given, else asked of the kernel.
func rootQdisc(h *netlink.Handle, link netlink.Link, known RootQdiscs) (netlink.Qdisc, error) {
	if known == nil {
		var err error
		if known, err = readRootQdiscs(h, link); err != nil {
			return nil, err
		}
	}
	return known[link.Attrs().Index], nil
}

func isOurKind(q netlink.Qdisc) bool { return q.Type() == "netem" || q.Type() == "tbf" }

// sameQdisc compares the parameters Qdisc sets, in the kernel's units.
func sameQdisc(cur, want netlink.Qdisc) bool {
	switch w := want.(type) {
	case *netlink.Tbf:
		c, ok := cur.(*netlink.Tbf)
		return ok && c.Rate == w.Rate && c.Limit == w.Limit && c.Buffer == w.Buffer
	case *netlink.Netem:
		c, ok := cur.(*netlink.Netem)
		return ok && c.Latency == w.Latency && c.Jitter == w.Jitter && c.Loss == w.Loss &&
			c.Limit == w.Limit && c.Rate64 == w.Rate64
	}
	return false
}

// ticks turns the kernel's scheduler ticks back into a duration.
func ticks(t uint32) time.Duration {
	return (time.Duration(float64(t)/netlink.TickInUsec()) * time.Microsecond).Round(time.Microsecond)
}

// describeQdisc is a root qdisc as `tc qdisc show` would summarise it.
func describeQdisc(q netlink.Qdisc) string {
	if q == nil {
		return "none"
	}
	var b strings.Builder
	b.WriteString(q.Type())
	switch q := q.(type) {
	case *netlink.Tbf:
		fmt.Fprintf(&b, " rate %dbit", q.Rate*8)
	case *netlink.Netem:
		if q.Latency > 0 {
			fmt.Fprintf(&b, " delay %s", ticks(q.Latency))
		}
		if q.Jitter > 0 {
			fmt.Fprintf(&b, " jitter %s", ticks(q.Jitter))
		}
		if q.Loss > 0 {
			fmt.Fprintf(&b, " loss %.3g%%", float64(q.Loss)/math.MaxUint32*100)
		}
		if q.Rate64 > 0 {
			fmt.Fprintf(&b, " rate %dbit", q.Rate64*8)
		}
	}
	return b.String()
}
