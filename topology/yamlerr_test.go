package topology

import "testing"

// TestYAMLErrorsPointAtTheLine: a syntax error is reported at the line
// that is wrong (yaml.v3 names where the enclosing list or mapping
// starts), with what to do about it.
func TestYAMLErrorsPointAtTheLine(t *testing.T) {
	appended := base + "expect:\n  - {from: doc1, to: doc2, reach: true}\n  - {from: doc2, to: doc1, reach: true}\n" +
		"  doc3: {host: host1, image: busybox, network: net1, address: 10.0.1.30}\n"
	runErrCases(t, []errCase{
		// The names walkthrough's old step 4: a container appended to a
		// file whose last section is expect:.
		{name: "line appended under the last list", yaml: appended, line: 33, col: 3, field: "",
			msg: `invalid YAML: this line is not a list item ("- ..."), yet it is indented inside the list under expect: (line 30); move it under the section it belongs to`},
		{name: "indentation of no key", edit: []string{"    gateway: 172.16.20.1\n", "   gateway: 172.16.20.1\n"}, line: 8, col: 4, field: "",
			msg: "this line's indentation matches none of the keys above it inside host2: (line 6); indent it exactly like the entries it belongs with"},
		{name: "tab indents a key", edit: []string{"    vni: 6000\n", "\tvni: 6000\n"}, line: 19, col: 1, field: "",
			msg: "invalid YAML: tabs are not allowed in YAML indentation; indent with spaces"},
		{name: "tab after spaces", edit: []string{"    vni: 6000\n", "  \t  vni: 6000\n"}, line: 19, col: 3, field: "",
			msg: "tabs are not allowed in YAML indentation"},
		{name: "tab indents a list item", edit: []string{"      - {network: net1, address: 10.0.1.20}\n", "\t- {network: net1, address: 10.0.1.20}\n"}, line: 28, col: 1, field: "",
			msg: "tabs are not allowed in YAML indentation"},
	})
}
