package ovsdbguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

// tx is a transact request of the ops given as JSON.
func tx(ops string) string {
	return `{"method":"transact","id":7,"params":["Open_vSwitch",` + ops + `]}`
}

func TestCheckPasses(t *testing.T) {
	for name, msg := range map[string]string{
		"add-br": tx(`{"op":"wait","table":"Open_vSwitch","where":[],"columns":["bridges"],"until":"==","rows":[{"bridges":["set",[]]}],"timeout":0},
			{"op":"insert","table":"Interface","row":{"name":"br0","type":"internal"},"uuid-name":"row1"},
			{"op":"insert","table":"Port","row":{"name":"br0","interfaces":["named-uuid","row1"]},"uuid-name":"row2"},
			{"op":"insert","table":"Bridge","row":{"name":"br0","ports":["named-uuid","row2"],"datapath_type":"netdev"},"uuid-name":"row3"},
			{"op":"update","table":"Open_vSwitch","where":[],"row":{"bridges":["named-uuid","row3"]}},
			{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["next_cfg","+=",1]]},
			{"op":"select","table":"Open_vSwitch","where":[],"columns":["next_cfg"]},{"op":"comment","comment":"ovs-vsctl add-br br0"}`),
		"set port tag":     tx(`{"op":"update","table":"Port","where":[["_uuid","==",["uuid","4ad5b4e2-5b7c-4b2b-9a5e-0c1e1f7c1b11"]]],"row":{"tag":5}}`),
		"a vxlan port":     tx(`{"op":"insert","table":"Interface","row":{"name":"vx9","type":"vxlan","options":["map",[["remote_ip","172.16.20.100"],["key","5000"]]]}}`),
		"type as a set":    tx(`{"op":"update","table":"Interface","where":[],"row":{"type":["set",["patch"]]}}`),
		"a tcp controller": tx(`{"op":"insert","table":"Controller","row":{"target":"tcp:10.0.0.1:6653"}}`),
		"ptcp controller":  tx(`{"op":"update","table":"Controller","where":[],"row":{"target":["set",["ptcp:6653"]]}}`),
		"external_ids":     tx(`{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["external_ids","insert",["map",[["a","b"]]]]]}`),
		"read SSL":         tx(`{"op":"select","table":"SSL","where":[]}`),
		"delete a bridge":  tx(`{"op":"delete","table":"Bridge","where":[["name","==","br0"]]}`),
		"monitor":          `{"method":"monitor_cond","id":1,"params":["Open_vSwitch",["monid","Open_vSwitch"],{"Bridge":[{"columns":["name"]}]}]}`,
		"schema":           `{"method":"get_schema","id":0,"params":["Open_vSwitch"]}`,
		"list_dbs":         `{"method":"list_dbs","id":0,"params":[]}`,
		"echo":             `{"method":"echo","id":"echo","params":[]}`,
		"reply to echo":    `{"id":"echo","result":[],"error":null}`,
	} {
		if err := Check(decode(t, msg)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCheckRefuses(t *testing.T) {
	for name, msg := range map[string]string{
		"set-ssl": tx(`{"op":"insert","table":"SSL","row":{"private_key":"/etc/shadow","certificate":"/x","ca_cert":"/etc/cron.d/x","bootstrap_ca_cert":true},"uuid-name":"s"},
			{"op":"update","table":"Open_vSwitch","where":[],"row":{"ssl":["named-uuid","s"]}}`),
		"update SSL":              tx(`{"op":"update","table":"SSL","where":[],"row":{"ca_cert":"/etc/x"}}`),
		"the root's ssl":          tx(`{"op":"update","table":"Open_vSwitch","where":[],"row":{"ssl":["set",[]]}}`),
		"the root's other_config": tx(`{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["other_config","insert",["map",[["vhost-sock-dir","/etc"]]]]]}`),
		"manager_options":         tx(`{"op":"update","table":"Open_vSwitch","where":[],"row":{"manager_options":["set",[]]}}`),
		"a manager":               tx(`{"op":"insert","table":"Manager","row":{"target":"punix:/etc/x"}}`),
		"delete the root":         tx(`{"op":"delete","table":"Open_vSwitch","where":[]}`),
		"a second root":           tx(`{"op":"insert","table":"Open_vSwitch","row":{}}`),
		"punix controller":        tx(`{"op":"insert","table":"Controller","row":{"target":"punix:/run/ovslab/l/h/db.sock"}}`),
		"unix controller":         tx(`{"op":"update","table":"Controller","where":[],"row":{"target":"unix:/var/run/docker.sock"}}`),
		"controller as a set":     tx(`{"op":"update","table":"Controller","where":[],"row":{"target":["set",["punix:/tmp/x"]]}}`),
		"controller mutated":      tx(`{"op":"mutate","table":"Controller","where":[],"mutations":[["target","insert","punix:/x"]]}`),
		"controller as a map":     tx(`{"op":"update","table":"Controller","where":[],"row":{"target":["map",[["punix:/x","y"]]]}}`),
		"a dummy port":            tx(`{"op":"insert","table":"Interface","row":{"name":"d","type":"dummy","options":["map",[["pcap","/etc/x"]]]}}`),
		"dpdk as a set":           tx(`{"op":"update","table":"Interface","where":[],"row":{"type":["set",["dpdkvhostuserclient"]]}}`),
		"type a number":           tx(`{"op":"update","table":"Interface","where":[],"row":{"type":5}}`),
		"unknown table":           tx(`{"op":"insert","table":"Foo","row":{}}`),
		"table in other case":     tx(`{"op":"insert","table":"ssl","row":{}}`),
		"unknown op":              tx(`{"op":"drop","table":"Bridge"}`),
		"op not an object":        tx(`["insert"]`),
		"mutation malformed":      tx(`{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges"]]}`),
		"_Server":                 `{"method":"transact","id":1,"params":["_Server",{"op":"delete","table":"Database","where":[]}]}`,
		"no database":             `{"method":"transact","id":1,"params":[]}`,
		"lock":                    `{"method":"lock","id":1,"params":["ovs_vswitchd"]}`,
		"steal":                   `{"method":"steal","id":1,"params":["ovs_vswitchd"]}`,
		"convert":                 `{"method":"convert","id":1,"params":["Open_vSwitch",{}]}`,
		"no params":               `{"method":"transact","id":1}`,
		"neither":                 `{"id":1}`,
	} {
		err := Check(decode(t, msg))
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}
