package labs

import (
	"context"
	"slices"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/ovs"
)

// applyBridges applies the host's bridges. A host veth that Plumb had to
// make anew (its container was recreated) has its old name but is a new
// device, and ovs-vswitchd's userspace datapath keeps reading the dead one
// behind the existing port: traffic stops without an error. So a fresh
// veth that already has a port loses it first, and vswitchd is waited for,
// before Apply adds it back; in one transaction vswitchd would match the
// port by name and change nothing.
func applyBridges(ctx context.Context, oc *ovs.Client, lab string, bridges []ovs.Bridge, fresh []string) error {
	stale, err := portsNamed(ctx, oc, lab, fresh)
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		if err := oc.Apply(ctx, lab, withoutPorts(bridges, stale)); err != nil {
			return err
		}
		if err := oc.Sync(ctx); err != nil {
			return err
		}
	}
	return oc.Apply(ctx, lab, bridges)
}

// portsNamed returns those of names that are ports of the lab in OVSDB.
func portsNamed(ctx context.Context, oc *ovs.Client, lab string, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	bs, err := oc.Status(ctx, lab)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range bs {
		for _, p := range b.Ports {
			if slices.Contains(names, p.Name) {
				out = append(out, p.Name)
			}
		}
	}
	return out, nil
}

func withoutPorts(bridges []ovs.Bridge, drop []string) []ovs.Bridge {
	out := slices.Clone(bridges)
	for i, b := range out {
		out[i].Ports = slices.DeleteFunc(slices.Clone(b.Ports), func(p ovs.Port) bool { return slices.Contains(drop, p.Name) })
	}
	return out
}

// linkIndex is the ifindex of link in netns ns, 0 if it is not there.
func linkIndex(ns, link string) int {
	hns, err := nsutil.OpenNamed(ns)
	if err != nil {
		return 0
	}
	defer hns.Close()
	h := hns.Handle
	l, err := h.LinkByName(link)
	if err != nil {
		return 0
	}
	return l.Attrs().Index
}
