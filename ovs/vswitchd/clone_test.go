package vswitchd

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ovn-org/libovsdb/model"
)

// TestCloneModelIsDeep: the copy equals what libovsdb's JSON round trip
// makes (nil and empty kept apart), and changing it leaves the row alone.
func TestCloneModelIsDeep(t *testing.T) {
	mtu, ofport := 1554, 7
	row := &Interface{
		UUID: "u1", Name: "vx5000-host2", Type: "vxlan",
		Options:     map[string]string{"key": "5000", "remote_ip": "172.16.20.100"},
		ExternalIDs: map[string]string{},
		MTURequest:  &mtu, Ofport: &ofport,
		Error: nil,
	}
	c := row.CloneModel().(*Interface)
	var viaJSON Interface
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &viaJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, &viaJSON) {
		t.Fatalf("clone %+v, JSON round trip %+v", c, viaJSON)
	}
	if c.ExternalIDs == nil || c.Error != nil {
		t.Errorf("empty map or nil pointer not kept: %+v", c)
	}
	c.Options["key"] = "6000"
	*c.MTURequest = 1500
	if row.Options["key"] != "5000" || *row.MTURequest != 1554 {
		t.Errorf("changing the copy changed the row: %+v", row)
	}
	var into Port
	(&Port{Name: "p", Interfaces: []string{"a", "b"}, Trunks: []int{}}).CloneModelInto(&into)
	if into.Name != "p" || len(into.Interfaces) != 2 || into.Trunks == nil {
		t.Errorf("CloneModelInto: %+v", into)
	}
	for _, m := range []model.Model{&OpenvSwitch{}, &Bridge{}, &Port{}, &Interface{}, &QoS{}} {
		if _, ok := m.(model.CloneableModel); !ok {
			t.Errorf("%T does not copy itself: libovsdb would copy it through JSON", m)
		}
	}
}
