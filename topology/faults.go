package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Fault is one thing a stage breaks on purpose, in the lab's own terms:
// what it acts on (On, resolved into Target) and the value it sets.
type Fault struct {
	Kind   string
	On     string // as written, e.g. "host2/net1" or "doc1:eth0"
	Line   int
	Target FaultTarget

	MTU     int           // FaultMTU
	Key     uint32        // FaultKey
	Remote  netip.Addr    // FaultRemote
	Tag     int           // FaultVLAN: the access tag to set, 0 = untagged
	Impair  *Impair       // FaultImpair
	Via     netip.Addr    // FaultRoute: the wrong default gateway
	Address netip.Prefix  // FaultAddress: the wrong address, with the subnet's length unless given
	Period  time.Duration // FaultFlap: one down-and-up cycle
	For     time.Duration // FaultFlap: how long it flaps before leaving the link up

	// FaultDrop: the flow as written (From, To, as in expect:), and the
	// iptables DROP it becomes in Target.Host: Chain is FORWARD for a
	// flow the host routes, INPUT for one to its own address, OUTPUT for
	// one it sends; Src is invalid for OUTPUT (the host's own).
	From, To string
	Src, Dst netip.Addr
	Chain    string
}

// FaultTarget is what a fault acts on, resolved against the lab. Host is
// the host whose part changes: a real host applies only the faults whose
// Host it is, and the router's side (Router) exists only emulated.
type FaultTarget struct {
	Host    string // the host it acts in (for Router: the host whose link it is)
	Router  bool   // the router's side of Host's underlay link
	Node    string // a container
	Iface   string // one of Node's interfaces: eth0, eth1, ...
	Network string // a network (HOST/NETWORK, a tunnel, nat-off)
	Peer    string // the remote host of one tunnel (HOST/NETWORK/PEER)
}

// Fault kinds, as the file names them.
const (
	FaultMTU        = "mtu"         // a host's underlay MTU, or the router's side of it
	FaultDown       = "down"        // a link down: container interface, host port, tunnel or underlay
	FaultKey        = "key"         // a tunnel's VXLAN key
	FaultRemote     = "remote"      // a tunnel's remote VTEP
	FaultNATOff     = "nat-off"     // a network's MASQUERADE removed
	FaultForwardOff = "forward-off" // ip_forward off on a host
	FaultVLAN       = "vlan"        // a container interface's access tag
	FaultImpair     = "impair"      // delay, loss or rate on a container interface
	FaultStop       = "stop"        // a container stopped
	FaultRoute      = "route"       // a container's default route via a wrong gateway
	FaultAddress    = "address"     // a wrong address on a container interface
	FaultDrop       = "drop"        // an iptables DROP for one flow in a host
	FaultFlap       = "flap"        // a container interface down and up on a period
)

// faultKeys are the keys each fault kind takes besides kind and on.
var faultKeys = map[string][]string{
	FaultMTU:        {"mtu"},
	FaultDown:       nil,
	FaultKey:        {"key"},
	FaultRemote:     {"remote"},
	FaultNATOff:     nil,
	FaultForwardOff: nil,
	FaultVLAN:       {"tag"},
	FaultImpair:     {"impair"},
	FaultStop:       nil,
	FaultRoute:      {"via"},
	FaultAddress:    {"address"},
	FaultDrop:       {"from", "to"},
	FaultFlap:       {"period", "for"},
}

// FaultKinds lists the fault kinds, sorted.
func FaultKinds() []string {
	out := make([]string, 0, len(faultKeys))
	for k := range faultKeys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// allFaultKeys is every key a fault may have, for reading one before its
// kind is known.
func allFaultKeys() []string {
	keys := []string{"kind", "on"}
	for _, k := range FaultKinds() {
		for _, key := range faultKeys[k] {
			if !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	return keys
}

// Bounds of fault values.
const (
	minFaultMTU  = 576  // as an interface's mtu
	maxFaultMTU  = 9216 // as underlay.mtu
	minFlap      = 2 * time.Second
	maxFlap      = time.Hour
	maxFlapFor   = 24 * time.Hour
	minFlapFor   = time.Second
	faultNoValue = "a fault must change something"
)

// String names the fault as a student reads it: "mtu 1500 on host1".
func (f Fault) String() string {
	what := f.Kind
	switch f.Kind {
	case FaultMTU:
		what = fmt.Sprintf("mtu %d", f.MTU)
	case FaultKey:
		what = fmt.Sprintf("key %d", f.Key)
	case FaultRemote:
		what = "remote " + f.Remote.String()
	case FaultVLAN:
		what = fmt.Sprintf("vlan tag %d", f.Tag)
		if f.Tag == 0 {
			what = "vlan untagged"
		}
	case FaultImpair:
		if f.Impair != nil {
			what = "impair " + f.Impair.String()
		}
	case FaultRoute:
		what = "route via " + f.Via.String()
	case FaultAddress:
		what = "address " + f.Address.String()
	case FaultDrop:
		return fmt.Sprintf("drop %s -> %s in %s", f.From, f.To, f.On)
	case FaultFlap:
		what = fmt.Sprintf("flap every %s for %s", f.Period, f.For)
	}
	return what + " on " + f.On
}

// faults reads the list under a stage's faults:.
func (p *parser) faults(f field, path string) []Fault {
	p.mark(path, f.key)
	if f.val.Kind != yaml.SequenceNode {
		p.errAt(f.val, path, "expected a list of {kind, on, ...}, found %s", describe(f.val))
		return nil
	}
	var out []Fault
	for i, n := range f.val.Content {
		if !p.spend(n) {
			break
		}
		n = resolve(n)
		item := index(path, i)
		p.mark(item, n)
		ft := Fault{Line: n.Line}
		if o, ok := p.object(n, nil, item, allFaultKeys()...); ok {
			p.fault(o, &ft)
		}
		out = append(out, ft)
	}
	return out
}

// fault reads one fault: its kind first, which decides the other keys.
func (p *parser) fault(o *object, ft *Fault) {
	path := o.path
	kf, ok := p.required(o, "kind")
	if !ok {
		return
	}
	kind, ok := p.str(kf, path+".kind")
	if !ok {
		return
	}
	allowed, known := faultKeys[kind]
	if !known {
		p.errAt(kf.val, path+".kind", "unknown fault kind %q; kinds are: %s", kind, strings.Join(FaultKinds(), ", "))
		return
	}
	ft.Kind = kind
	for name, f := range o.m {
		if name != "kind" && name != "on" && !slices.Contains(allowed, name) {
			p.errAt(f.key, join(path, name), "a %s fault takes %s; %q belongs to another kind", kind, keyList(allowed), name)
		}
	}
	if f, ok := p.required(o, "on"); ok {
		if on, ok := p.str(f, path+".on"); ok {
			ft.On = on
		}
	}
	need := func(key string) (field, bool) { return p.required(o, key) }
	switch kind {
	case FaultMTU:
		if f, ok := need("mtu"); ok {
			v, _ := p.integer(f, path+".mtu", minFaultMTU, maxFaultMTU)
			ft.MTU = int(v)
		}
	case FaultKey:
		if f, ok := need("key"); ok {
			v, _ := p.integer(f, path+".key", 1, maxVNI)
			ft.Key = uint32(v)
		}
	case FaultRemote:
		if f, ok := need("remote"); ok {
			ft.Remote = p.addr(f, path+".remote")
		}
	case FaultVLAN:
		if f, ok := need("tag"); ok {
			v, _ := p.integer(f, path+".tag", 0, MaxVLAN)
			ft.Tag = int(v)
		}
	case FaultImpair:
		if f, ok := need("impair"); ok {
			ft.Impair = p.impair(f, path+".impair")
		}
	case FaultRoute:
		if f, ok := need("via"); ok {
			ft.Via = p.addr(f, path+".via")
		}
	case FaultAddress:
		if f, ok := need("address"); ok {
			ft.Address = p.faultAddress(f, path+".address")
		}
	case FaultDrop:
		if f, ok := need("from"); ok {
			ft.From, _ = p.str(f, path+".from")
		}
		if f, ok := need("to"); ok {
			if s, ok := p.str(f, path+".to"); ok {
				ft.To = s
				if looksLikeAddr(s) {
					ft.Dst = p.addr(f, path+".to")
				}
			}
		}
	case FaultFlap:
		if f, ok := need("period"); ok {
			if d, ok := p.duration(f, path+".period"); ok && (d < minFlap || d > maxFlap) {
				p.errAt(f.val, path+".period", "period %s is out of range %s..%s (the link is down for half of it)", d, minFlap, maxFlap)
			} else {
				ft.Period = d
			}
		}
		if f, ok := need("for"); ok {
			if d, ok := p.duration(f, path+".for"); ok && (d < minFlapFor || d > maxFlapFor) {
				p.errAt(f.val, path+".for", "for %s is out of range %s..%s: a flap is bounded, then the link stays up", d, minFlapFor, maxFlapFor)
			} else {
				ft.For = d
			}
		}
	}
}

// faultAddress reads an IPv4 address, with or without a prefix length.
func (p *parser) faultAddress(f field, path string) netip.Prefix {
	s, ok := p.str(f, path)
	if !ok {
		return netip.Prefix{}
	}
	if !strings.Contains(s, "/") {
		a := p.addr(f, path)
		if !a.IsValid() {
			return netip.Prefix{}
		}
		return netip.PrefixFrom(a, 0) // the length is the subnet's: validateFaults sets it
	}
	pfx, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !pfx.Addr().Is4():
		p.errAt(f.val, path, "%q is not an IPv4 address (e.g. 10.0.1.99 or 10.0.9.10/24)", s)
	case pfx.Bits() == 0 || pfx.Bits() > 30:
		p.errAt(f.val, path, "%s: give a prefix length of 1..30, or none for the subnet's", s)
	case specialRange(netip.PrefixFrom(pfx.Addr(), 32)) != "":
		p.errAt(f.val, path, "%s is in %s; use a unicast address", s, specialRange(netip.PrefixFrom(pfx.Addr(), 32)))
	default:
		return pfx
	}
	return netip.Prefix{}
}

func keyList(keys []string) string {
	all := append([]string{"on"}, keys...)
	if len(all) == 1 {
		return "only on"
	}
	return strings.Join(all[:len(all)-1], ", ") + " and " + all[len(all)-1]
}
