package topology

import (
	"strings"
	"testing"
)

func TestReadDoc(t *testing.T) {
	keys := []string{"class", "students"}
	for _, tc := range []struct {
		name, text string
		want       []string // each a line of the error list, in order
	}{
		{"unknown key", "class: a\nstudnts: [x]\n", []string{`f.yaml:2:1: studnts: unknown field "studnts"; did you mean "students"?`}},
		{"duplicate key", "class: a\nclass: b\n", []string{`f.yaml:2:1: class: duplicate key "class"; first given at line 1`}},
		{"wrong type", "class: [a]\nstudents: x\n", []string{
			"f.yaml:1:8: class: expected a string, found a list",
			`f.yaml:2:11: students: expected a list of strings, found the string "x"`}},
		{"not a mapping", "- a\n", []string{"f.yaml:1:1: a class file is a mapping with class, students; found a list"}},
		{"empty", "# nothing\n", []string{"f.yaml: file is empty; it needs at least class and students"}},
		{"two documents", "class: a\n---\nclass: b\n", []string{"f.yaml:2:1: a class file holds one YAML document; found a second one"}},
		{"missing", "students: [a]\n", []string{`f.yaml:1:1: class: missing required field "class"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ReadDoc("f.yaml", "class", "class and students", []byte(tc.text), keys...)
			d.String("class", true)
			d.Strings("students")
			err := d.Err()
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			if !IsInvalid(err) {
				t.Errorf("IsInvalid(%v) = false", err)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestReadDocValues(t *testing.T) {
	d := ReadDoc("f.yaml", "class", "class", []byte("class: net1\nstudents:\n  - alice\n  - 42\n"), "class", "students")
	s, at, ok := d.String("class", true)
	if !ok || s != "net1" || at != (Pos{1, 8}) {
		t.Errorf("class = %q at %v (%v); want net1 at 1:8", s, at, ok)
	}
	items, ok := d.Strings("students")
	if !ok || len(items) != 2 || items[0] != (Item{"alice", Pos{3, 5}}) || items[1] != (Item{"42", Pos{4, 5}}) {
		t.Errorf("students = %v (%v); want alice at 3:5 and 42 at 4:5", items, ok)
	}
	if _, _, ok := d.String("roster", false); ok || d.Has("roster") {
		t.Error("an absent optional key reads as given")
	}
	d.Errorf(items[1].Pos, "students[1]", "bad %s", "name")
	if err := d.Err(); err == nil || err.Error() != "f.yaml:4:5: students[1]: bad name" {
		t.Errorf("Errorf: %v", err)
	}
}

func TestReadLimited(t *testing.T) {
	_, err := ReadLimited(t.TempDir()+"/none", "roster")
	if err == nil || !IsInvalid(err) || !strings.Contains(err.Error(), "cannot read the roster file: no such file") {
		t.Errorf("missing roster: %v", err)
	}
}
