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

// TestOneErrorPerMistake: a mistake is reported once, by its own name:
// a misspelt key by "did you mean" alone (not also as the key it was
// meant to be, missing), a VNI used twice as such (not as the clash of
// the VXLAN port names derived from it, which the file never names).
func TestOneErrorPerMistake(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "misspelt required key", edit: []string{"    subnet: 10.0.2.0/24", "    subnett: 10.0.2.0/24"}, line: 18, col: 5, field: "networks.net2.subnett",
			msg: `unknown field "subnett"; did you mean "subnet"?`},
		{name: "misspelt short-form address", edit: []string{"network: net1, address: 10.0.1.10}", "network: net1, adress: 10.0.1.10}"}, line: 23, field: "containers.doc1.adress",
			msg: `did you mean "address"?`},
		{name: "misspelt network and address", edit: []string{"network: net1, address: 10.0.1.10}", "netwrk: net1, adress: 10.0.1.10}"}, line: 23, field: "containers.doc1.netwrk",
			msg: `did you mean "network"?`, count: 2},
		{name: "duplicate VNI of tunnelled networks", edit: []string{"vni: 6000", "vni: 5000", "network: net1, address: 10.0.1.10}", "network: net2, address: 10.0.2.10}"},
			line: 19, col: 10, field: "networks.net2.vni", msg: "VNI 5000 is already used by networks.net1 (line 14); give each network a VNI of its own"},
	})
}
