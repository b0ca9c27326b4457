package containers

import (
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestQdiscForImpairment pins the qdisc each impairment becomes. netem
// cannot run on this project's CI kernel, so this is where its parameters
// are checked: in the kernel's own units, as they go over netlink.
func TestQdiscForImpairment(t *testing.T) {
	if q := (Impairment{}).Qdisc(7, 1500); q != nil {
		t.Errorf("no impairment: %v, want no qdisc", q)
	}

	tbf, ok := Impairment{Rate: 10_000_000}.Qdisc(7, 1500).(*netlink.Tbf)
	if !ok {
		t.Fatalf("rate alone: want a tbf")
	}
	if tbf.LinkIndex != 7 || tbf.Parent != netlink.HANDLE_ROOT || tbf.Handle != netlink.MakeHandle(1, 0) {
		t.Errorf("tbf attrs %+v, want root 1: on link 7", tbf.QdiscAttrs)
	}
	if tbf.Rate != 1_250_000 { // bytes per second
		t.Errorf("tbf rate %d B/s, want 1250000", tbf.Rate)
	}
	// burst: 10ms at the rate (12500 B); limit adds 50ms of queue.
	if want := uint32(12500 + 62500); tbf.Limit != want {
		t.Errorf("tbf limit %d, want %d", tbf.Limit, want)
	}
	if want := netlink.Xmittime(1_250_000, 12500); tbf.Buffer != want {
		t.Errorf("tbf buffer %d ticks, want %d (12500 bytes at the rate)", tbf.Buffer, want)
	}
	// A slow link still holds two full frames in its bucket.
	if slow := (Impairment{Rate: 64_000}).Qdisc(7, 9000).(*netlink.Tbf); slow.Buffer != netlink.Xmittime(8000, 2*(9000+14)) {
		t.Errorf("64kbit with MTU 9000: buffer %d, want two jumbo frames' worth", slow.Buffer)
	}

	im := Impairment{Delay: 50 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 1, Rate: 10_000_000}
	netem, ok := im.Qdisc(7, 1500).(*netlink.Netem)
	if !ok {
		t.Fatalf("delay: want a netem")
	}
	ref := netlink.NewNetem(netem.QdiscAttrs, netlink.NetemQdiscAttrs{Latency: 50_000, Jitter: 5_000, Loss: 1, Rate64: 1_250_000})
	if netem.Latency != ref.Latency || netem.Jitter != ref.Jitter || netem.Rate64 != 1_250_000 || netem.Limit != 1000 {
		t.Errorf("netem %+v, want latency %d jitter %d (ticks), rate 1250000 B/s, limit 1000", netem, ref.Latency, ref.Jitter)
	}
	if pct := float64(netem.Loss) / math.MaxUint32 * 100; math.Abs(pct-1) > 0.001 {
		t.Errorf("netem loss %d = %.4f%%, want 1%%", netem.Loss, pct)
	}
	if !sameQdisc(netem, im.Qdisc(7, 1500)) || sameQdisc(netem, tbf) || sameQdisc(nil, tbf) {
		t.Error("sameQdisc does not tell equal from different qdiscs")
	}
	if got := describeQdisc(netem); !strings.HasPrefix(got, "netem delay 50ms jitter 5ms loss 1% rate 10000000bit") {
		t.Errorf("describeQdisc = %q", got)
	}
	if (Impairment{Rate: 1}).NeedsNetem() || !(Impairment{Loss: 0.1}).NeedsNetem() {
		t.Error("NeedsNetem: rate needs tbf only, loss needs netem")
	}
}

func TestHostsFile(t *testing.T) {
	got := string(HostsFile([]HostName{
		{"web", netip.MustParseAddr("10.0.1.20")}, {"web.front", netip.MustParseAddr("10.0.1.20")}, {"web.back", netip.MustParseAddr("10.0.2.20")},
	}))
	if !strings.HasPrefix(got, "127.0.0.1\tlocalhost\n") || !strings.HasSuffix(got, "10.0.1.20\tweb web.front\n10.0.2.20\tweb.back\n") {
		t.Errorf("hosts file:\n%s", got)
	}
	if string(HostsFile(nil)) != hostsBase {
		t.Errorf("with no names the file is not Docker's own")
	}
}
