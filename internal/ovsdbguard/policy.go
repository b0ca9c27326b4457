package ovsdbguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrRefused is wrapped by every refusal of Check.
var ErrRefused = errors.New("refused by ovslab")

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// methods a client may call; transact is checked op by op.
var methods = []string{
	"transact", "list_dbs", "get_schema", "echo", "get_server_id", "set_db_change_aware",
	"monitor", "monitor_cond", "monitor_cond_since", "monitor_cond_change", "monitor_cancel", "cancel",
}

// database is the only database a client may change.
const database = "Open_vSwitch"

// tables a lab is made of, which a client may change; a column rule
// narrows some. SSL and Manager are left out on purpose.
var tables = map[string]columnRule{
	"Open_vSwitch":              rootColumn,
	"Bridge":                    anyColumn,
	"Port":                      anyColumn,
	"Interface":                 interfaceColumn,
	"Flow_Table":                anyColumn,
	"QoS":                       anyColumn,
	"Queue":                     anyColumn,
	"Mirror":                    anyColumn,
	"NetFlow":                   anyColumn,
	"sFlow":                     anyColumn,
	"IPFIX":                     anyColumn,
	"Flow_Sample_Collector_Set": anyColumn,
	"Controller":                controllerColumn,
	"AutoAttach":                anyColumn,
	"Datapath":                  anyColumn,
	"CT_Zone":                   anyColumn,
	"CT_Timeout_Policy":         anyColumn,
}

// A columnRule checks one column written with value (an OVSDB datum
// in its JSON notation); mutated says the write is a mutation.
type columnRule func(column string, value any, mutated bool) error

func anyColumn(string, any, bool) error { return nil }

// rootColumn lets a client add and remove bridges, bump next_cfg (which
// ovs-vsctl does to wait for vswitchd) and tag the root row, nothing
// more: ssl, manager_options and other_config stay root's.
func rootColumn(column string, _ any, _ bool) error {
	if column == "bridges" || column == "next_cfg" || column == "external_ids" {
		return nil
	}
	return refuse("column %s of table Open_vSwitch is not yours to change", column)
}

// interfaceTypes are the kinds of port a lab uses ("" is system).
var interfaceTypes = []string{
	"", "system", "internal", "tap", "patch",
	"vxlan", "gre", "geneve", "erspan", "ip6erspan", "ip6gre", "lisp", "stt", "gtpu", "bareudp", "srv6",
}

func interfaceColumn(column string, value any, mutated bool) error {
	if column != "type" {
		return nil
	}
	if mutated {
		return refuse("column type of table Interface cannot be mutated")
	}
	atoms, ok := atomsOf(value)
	if !ok {
		return refuse("Interface type %v is not a string", value)
	}
	for _, a := range atoms {
		s, ok := a.(string)
		if !ok || !slices.Contains(interfaceTypes, s) {
			return refuse("Interface type %v: a lab's ports are %s", a, strings.Join(interfaceTypes[1:], ", "))
		}
	}
	return nil
}

func controllerColumn(column string, value any, mutated bool) error {
	if column != "target" {
		return nil
	}
	if mutated {
		return refuse("column target of table Controller cannot be mutated")
	}
	atoms, ok := atomsOf(value)
	if !ok {
		return refuse("Controller target %v is not a string", value)
	}
	for _, a := range atoms {
		s, ok := a.(string)
		if !ok || strings.HasPrefix(s, "punix:") || strings.HasPrefix(s, "unix:") {
			return refuse("Controller target %v: a unix socket is a file on the teacher's machine; use tcp: or ptcp:", a)
		}
	}
	return nil
}

// atomsOf reads a datum that should hold atoms: an atom, or
// ["set", [atoms...]]. Anything else (a map, a malformed set) is not ok.
func atomsOf(v any) ([]any, bool) {
	switch x := v.(type) {
	case string, json.Number, bool:
		return []any{x}, true
	case []any:
		if len(x) != 2 {
			return nil, false
		}
		switch x[0] {
		case "set":
			elems, ok := x[1].([]any)
			if !ok {
				return nil, false
			}
			for _, e := range elems {
				if _, scalar := e.([]any); scalar {
					return nil, false // a set of uuids is no type or target
				}
				if _, obj := e.(map[string]any); obj {
					return nil, false
				}
			}
			return elems, true
		}
	}
	return nil, false
}

// Check says whether a message a client sent may pass to the server:
// nil, or an error wrapping ErrRefused that names the rule. A message
// without a method (a reply to the server's echo) passes.
func Check(msg map[string]any) error {
	m, has := msg["method"]
	if !has {
		if _, ok := msg["result"]; ok {
			return nil
		}
		if _, ok := msg["error"]; ok {
			return nil
		}
		return refuse("a message that is neither a request nor a reply")
	}
	method, ok := m.(string)
	if !ok || !slices.Contains(methods, method) {
		return refuse("method %v is not a client's to call", m)
	}
	params, ok := msg["params"].([]any)
	if !ok {
		return refuse("%s without params", method)
	}
	if method != "transact" {
		return nil
	}
	if len(params) == 0 || params[0] != database {
		return refuse("transactions are on database %s only", database)
	}
	for i, p := range params[1:] {
		op, ok := p.(map[string]any)
		if !ok {
			return refuse("operation %d is not an object", i)
		}
		if err := checkOp(op); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
	}
	return nil
}

func checkOp(op map[string]any) error {
	kind, _ := op["op"].(string)
	switch kind {
	case "select", "wait", "commit", "abort", "comment", "assert":
		return nil // reads, and the transaction's own bookkeeping
	case "insert", "update", "mutate", "delete":
	default:
		return refuse("operation %v", op["op"])
	}
	table, _ := op["table"].(string)
	rule, ok := tables[table]
	if !ok {
		return refuse("table %v is not yours to change", op["table"])
	}
	switch kind {
	case "delete":
		if table == "Open_vSwitch" {
			return refuse("the Open_vSwitch root row stays")
		}
	case "insert", "update":
		if table == "Open_vSwitch" && kind == "insert" {
			return refuse("the Open_vSwitch root row is made once, by ovslab")
		}
		row, ok := op["row"].(map[string]any)
		if !ok {
			return refuse("%s without a row", kind)
		}
		for col, v := range row {
			if err := rule(col, v, false); err != nil {
				return err
			}
		}
	case "mutate":
		muts, ok := op["mutations"].([]any)
		if !ok {
			return refuse("mutate without mutations")
		}
		for _, m := range muts {
			mm, ok := m.([]any)
			if !ok || len(mm) != 3 {
				return refuse("a mutation is [column, mutator, value]")
			}
			col, ok := mm[0].(string)
			if !ok {
				return refuse("a mutation's column is a string")
			}
			if err := rule(col, mm[2], true); err != nil {
				return err
			}
		}
	}
	return nil
}
