package topology

import (
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		mtu  int
		want string // a substring of the one warning; "" for none
	}{
		{1554, ""},
		{9000, ""},
		{1280, "underlay.mtu 1280 is below 1550: 1500-byte frames inside VXLAN will be dropped (ping works, TCP stalls); set underlay.mtu: 1554"},
		{1500, "lab.yaml: underlay.mtu 1500 is below 1550"},
		{1549, "is below 1550"},
		{1550, "underlay.mtu 1550 fits untagged 1500-byte frames inside VXLAN (1550 bytes) but leaves no room for an inner VLAN tag (1554); 1554 is the default"},
		{1553, "leaves no room for an inner VLAN tag"},
	} {
		topo := loadRef(t)
		topo.Source, topo.Underlay.MTU = "lab.yaml", tc.mtu
		w := topo.Warnings()
		switch {
		case tc.want == "" && len(w) > 0:
			t.Errorf("mtu %d: warnings %q, want none", tc.mtu, w)
		case tc.want != "" && (len(w) != 1 || !strings.Contains(w[0], tc.want)):
			t.Errorf("mtu %d: warnings %q, want one containing %q", tc.mtu, w, tc.want)
		}
		for _, s := range w {
			if strings.Contains(s, "container MTU") {
				t.Errorf("mtu %d: %q suggests a container MTU, which the file cannot set", tc.mtu, s)
			}
		}
	}
}
