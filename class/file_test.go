package class

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/topology"
)

// write puts files (name → text) in a fresh directory and returns it.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	dir := write(t, map[string]string{
		"net101.yaml":      "class: net101\nlab: l3-vxlan\nstudents: [alice, bob, carol]\n",
		"sub/roster.yaml":  "class: net102\nlab: ../labs/mine.yaml\nroster: names.txt\n",
		"sub/names.txt":    "# week 1\nalice\n  bob   # late\n\ncarol\r\n",
		"labs/mine.yaml":   strings.Replace(string(mustBuiltin(t)), "name: l3-vxlan", "name: mine", 1),
		"shadow/c.yaml":    "class: c\nlab: l3-vxlan\nstudents: [a]\n",
		"shadow/l3-vxlan":  strings.Replace(string(mustBuiltin(t)), "name: l3-vxlan", "name: local", 1),
		"quoted/c.yaml":    "class: \"7a\"\nlab: l3-vxlan\nstudents:\n  - 42\n  - bob\n",
		"absroster/c.yaml": "", // written below with an absolute path
	})
	if err := os.WriteFile(filepath.Join(dir, "absroster/c.yaml"), []byte("class: c\nlab: l3-vxlan\nroster: "+filepath.Join(dir, "sub/names.txt")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, name, lab string
		students        []string
	}{
		{"net101.yaml", "net101", "builtin:l3-vxlan", []string{"alice", "bob", "carol"}},
		{"sub/roster.yaml", "net102", filepath.Join(dir, "labs/mine.yaml"), []string{"alice", "bob", "carol"}},
		// A file beside the class file wins over the built-in lab, as in up.
		{"shadow/c.yaml", "c", filepath.Join(dir, "shadow/l3-vxlan"), []string{"a"}},
		{"quoted/c.yaml", "7a", "builtin:l3-vxlan", []string{"42", "bob"}},
		{"absroster/c.yaml", "c", "builtin:l3-vxlan", []string{"alice", "bob", "carol"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tc.name || c.Lab.Name != tc.lab || !slices.Equal(c.Students, tc.students) || c.File != filepath.Join(dir, tc.file) {
				t.Errorf("got class %q lab %q students %v file %s; want %q %q %v", c.Name, c.Lab.Name, c.Students, c.File, tc.name, tc.lab, tc.students)
			}
			if got := c.Copies()[0]; got != tc.name+"-"+tc.students[0] {
				t.Errorf("first copy %q", got)
			}
			if s, ok := c.Student(c.Copy(tc.students[0])); !ok || s != tc.students[0] {
				t.Errorf("Student(%s) = %q, %v", c.Copy(tc.students[0]), s, ok)
			}
			if _, ok := c.Student(tc.name + "-nobody"); ok {
				t.Error("Student accepts a name not in the class")
			}
		})
	}
}

func mustBuiltin(t *testing.T) []byte {
	t.Helper()
	src, err := resolveLab(t.TempDir(), "l3-vxlan")
	if err != nil {
		t.Fatal(err)
	}
	return src.Data
}

// TestLoadErrors: every problem, in the class file, the roster or the
// lab's file, is reported with its file, line and column, all at once.
func TestLoadErrors(t *testing.T) {
	collide := "name: col\nhosts:\n  b-c: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}\n  c: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // the error lines, with the directory as D
	}{
		{"unknown and duplicate keys", map[string]string{"c.yaml": "class: a\nlab: l3-vxlan\nstudnets: [x]\nlab: mesh3\n"}, []string{
			`D/c.yaml:1:1: students: missing students (a list of names) or roster (a file of names, one a line)`,
			`D/c.yaml:3:1: studnets: unknown field "studnets"; did you mean "students"?`,
			`D/c.yaml:4:1: lab: duplicate key "lab"; first given at line 2`}},
		{"wrong types", map[string]string{"c.yaml": "class: [a]\nlab: {x: 1}\nstudents: alice\n"}, []string{
			"D/c.yaml:1:8: class: expected a string, found a list",
			"D/c.yaml:2:6: lab: expected a string, found a mapping",
			`D/c.yaml:3:11: students: expected a list of strings, found the string "alice"`}},
		{"list items of the wrong type", map[string]string{"c.yaml": "class: a\nlab: l3-vxlan\nstudents: [alice, [bob]]\n"}, []string{
			"D/c.yaml:3:19: students[1]: expected a string, found a list"}},
		{"missing class and lab", map[string]string{"c.yaml": "students: [a]\n"}, []string{
			`D/c.yaml:1:1: class: missing required field "class"`,
			`D/c.yaml:1:1: lab: missing required field "lab"`}},
		{"empty", map[string]string{"c.yaml": "\n"}, []string{"D/c.yaml: file is empty; it needs at least class, lab and students"}},
		{"not a mapping", map[string]string{"c.yaml": "[a, b]\n"}, []string{"D/c.yaml:1:1: a class file is a mapping with class, lab, students, roster; found a list"}},
		{"bad class names", map[string]string{"c.yaml": "class: Net_101\nlab: l3-vxlan\nstudents: [a]\n"}, []string{
			`D/c.yaml:1:8: class: class name "Net_101" is not valid: use lowercase letters, digits and '-' (not first or last)`}},
		{"class name too long", map[string]string{"c.yaml": "class: abcdefghijklmnopqrstuvw\nlab: l3-vxlan\nstudents: [a]\n"}, []string{
			`D/c.yaml:1:8: class: class name "abcdefghijklmnopqrstuvw" is 23 bytes; at most 22, so that CLASS-STUDENT fits a lab name (24 bytes)`}},
		{"bad, duplicate and too long students", map[string]string{"c.yaml": "class: net101\nlab: l3-vxlan\nstudents:\n  - Alice\n  - bob\n  - bob\n  - -x\n  - abcdefghijklmnopq\n"}, []string{
			`D/c.yaml:4:5: students[0]: student name "Alice" is not valid: use lowercase letters, digits and '-' (not first or last); it names the student's copy of the lab`,
			`D/c.yaml:6:5: students[2]: duplicate student "bob"; first given at line 5`,
			`D/c.yaml:7:5: students[3]: student name "-x" is not valid: use lowercase letters, digits and '-' (not first or last); it names the student's copy of the lab`}},
		{"copy name over 24 bytes", map[string]string{"c.yaml": "class: net101\nlab: l3-vxlan\nstudents: [abcdefghijklmnopqr]\n"}, []string{
			`D/c.yaml:3:12: students[0]: student "abcdefghijklmnopqr"'s copy would be the lab "net101-abcdefghijklmnopqr", 25 bytes; lab names are at most 24: shorten the student's or the class's name`}},
		{"both lists", map[string]string{"c.yaml": "class: a\nlab: l3-vxlan\nstudents: [x]\nroster: r.txt\n", "r.txt": "x\n"}, []string{
			"D/c.yaml:4:1: roster: give students (a list) or roster (a file), not both"}},
		{"empty list", map[string]string{"c.yaml": "class: a\nlab: l3-vxlan\nstudents: []\n"}, []string{
			"D/c.yaml:3:1: students: students is empty: a class needs at least one"}},
		{"roster missing", map[string]string{"c.yaml": "class: a\nlab: l3-vxlan\nroster: nobody.txt\n"}, []string{
			"D/c.yaml:3:9: roster: cannot read the roster file: no such file or directory (D/nobody.txt)"}},
		{"roster lines", map[string]string{"c.yaml": "class: a\nlab: l3-vxlan\nroster: r.txt\n", "r.txt": "# names\nalice\n  alice\nBob\n\tcarol smith # two words\n"}, []string{
			`D/r.txt:3:3: roster: duplicate student "alice"; first given at line 2`,
			`D/r.txt:4:1: roster: student name "Bob" is not valid: use lowercase letters, digits and '-' (not first or last); it names the student's copy of the lab`,
			`D/r.txt:5:2: roster: "carol smith": one name a line (a comment starts with #)`}},
		{"roster of comments only", map[string]string{"c.yaml": "class: a\nlab: l3-vxlan\nroster: r.txt\n", "r.txt": "# nobody yet\n"}, []string{
			"D/r.txt: roster: the roster names no student; write one name a line"}},
		{"unknown lab", map[string]string{"c.yaml": "class: a\nlab: l3-vxlam\nstudents: [x]\n"}, []string{
			`D/c.yaml:2:6: lab: no file D/l3-vxlam and no built-in lab "l3-vxlam" (ovslab labs lists them)`}},
		{"bad lab file", map[string]string{"c.yaml": "class: a\nlab: lab.yaml\nstudents: [x]\n", "lab.yaml": "name: x\nhosts: {}\nbogus: 1\n"}, []string{
			"D/lab.yaml:2:8: hosts: at least one host is required",
			`D/lab.yaml:3:1: bogus: unknown field "bogus"; allowed here: version, name, hosts, underlay, networks, emulation, containers, expect, names, hints, neighbours, stages`}},
		{"copies sharing a namespace", map[string]string{"c.yaml": "class: k\nlab: col.yaml\nstudents: [a, a-b]\n", "col.yaml": collide}, []string{
			`D/c.yaml:3:15: students[1]: student "a-b"'s copy and "a"'s would both make the network namespace k-a-b-c; rename one of them`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := write(t, tc.files)
			_, err := Load(filepath.Join(dir, "c.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			if !topology.IsInvalid(err) {
				t.Errorf("not a file error (exit 2): %v", err)
			}
			got := strings.ReplaceAll(err.Error(), dir, "D")
			if want := strings.Join(tc.want, "\n"); got != want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
