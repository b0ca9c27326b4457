package class

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// Class is a classroom: one lab, and a copy of it per student, each an
// ordinary lab named CLASS-STUDENT.
type Class struct {
	Name     string
	Lab      *labs.Source // what every copy is made from
	Students []string     // in the file's order
	File     string       // the class file, absolute; "" when unknown
}

// Copy is the name of student's copy of the lab.
func (c *Class) Copy(student string) string { return c.Name + "-" + student }

// Copies are the names of every student's copy, in the students' order.
func (c *Class) Copies() []string {
	out := make([]string, len(c.Students))
	for i, s := range c.Students {
		out[i] = c.Copy(s)
	}
	return out
}

// Student is the student whose copy lab is, if it is one of the class's.
func (c *Class) Student(lab string) (string, bool) {
	s, ok := strings.CutPrefix(lab, c.Name+"-")
	return s, ok && slices.Contains(c.Students, s)
}

// source is a fresh Source for one copy: Up renames the topology it is
// given, so copies never share one.
func (c *Class) source() (*labs.Source, error) {
	return labs.FromData(c.Lab.Name, c.Lab.Data)
}

// The class file's keys (docs/class.md).
var fileKeys = []string{"class", "lab", "students", "roster"}

// maxStudents bounds a class: a roster is a list of people, and a bound
// keeps a hostile file cheap. Memory bounds a real class far lower (Fit).
const maxStudents = 1000

// namePattern is the lab names' rule, for class and student names: they
// become parts of lab, netns and Docker names.
var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// Load reads the class file at path and the lab it names, checking every
// name a copy will take. All problems come back at once as a
// topology.ErrorList (topology.IsInvalid reports true: exit 2), each with
// its file, line and column: the class file's, the roster's or the lab's.
func Load(path string) (*Class, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	d := topology.LoadDoc(path, "class", "class, lab and students", fileKeys...)
	c := &Class{File: abs}
	var rosterErrs topology.ErrorList
	name, namePos, nameOK := d.String("class", true)
	if nameOK {
		switch {
		case !namePattern.MatchString(name):
			d.Errorf(namePos, "class", "class name %q is not valid: use lowercase letters, digits and '-' (not first or last)", name)
			nameOK = false
		case len(name) > topology.MaxLabName-2:
			d.Errorf(namePos, "class", "class name %q is %d bytes; at most %d, so that CLASS-STUDENT fits a lab name (%d bytes)", name, len(name), topology.MaxLabName-2, topology.MaxLabName)
			nameOK = false
		}
		c.Name = name
	}
	labRef, labPos, labOK := d.String("lab", true)
	var students []topology.Item
	var listFile string
	switch {
	case d.Has("students") && d.Has("roster"):
		d.Errorf(d.At("roster"), "roster", "give students (a list) or roster (a file), not both")
	case d.Has("roster"):
		if f, at, ok := d.String("roster", true); ok {
			listFile = filepath.Join(filepath.Dir(path), f)
			if filepath.IsAbs(f) {
				listFile = f
			}
			var readErr error
			students, rosterErrs, readErr = readRoster(listFile)
			if readErr != nil {
				d.Errorf(at, "roster", "%v", readErr)
			}
		}
	case d.Has("students"):
		if items, ok := d.Strings("students"); ok {
			students, listFile = items, path
			if len(items) == 0 {
				d.Errorf(d.At("students"), "students", "students is empty: a class needs at least one")
			}
		}
	case d.Read():
		d.Errorf(d.At("students"), "students", "missing students (a list of names) or roster (a file of names, one a line)")
	}
	perr := &placed{file: path, doc: d, errs: rosterErrs}
	c.Students = checkStudents(perr, listFile, c.Name, nameOK, students)
	if labOK {
		c.Lab, err = resolveLab(filepath.Dir(path), labRef)
		switch {
		case topology.IsInvalid(err):
			var list topology.ErrorList
			if errors.As(err, &list) {
				perr.errs = append(perr.errs, list...)
			} else {
				var one *topology.Error
				errors.As(err, &one)
				perr.errs = append(perr.errs, one)
			}
		case err != nil:
			d.Errorf(labPos, "lab", "%v", err)
		}
	}
	if c.Lab != nil && nameOK {
		checkCopyNames(perr, listFile, c, students)
	}
	if err := perr.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// placed collects problems in the class file (through its Doc) and in the
// files it names (a roster, the lab).
type placed struct {
	file string
	doc  *topology.Doc
	errs topology.ErrorList
}

// errorf records a problem at a place of file: the class file or another.
func (p *placed) errorf(file string, at topology.Pos, field, format string, args ...any) {
	if file == p.file {
		p.doc.Errorf(at, field, format, args...)
		return
	}
	p.errs = append(p.errs, &topology.Error{File: file, Line: at.Line, Column: at.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (p *placed) err() error {
	var all topology.ErrorList
	var list topology.ErrorList
	if errors.As(p.doc.Err(), &list) {
		all = append(all, list...)
	}
	all = append(all, p.errs...)
	if len(all) == 0 {
		return nil
	}
	return all
}

// readRoster reads a roster: one name a line, '#' starting a comment.
// A roster that cannot be read is readErr, for the class file's line
// that names it.
func readRoster(path string) (items []topology.Item, errs topology.ErrorList, readErr error) {
	data, err := topology.ReadLimited(path, "roster")
	if err != nil {
		var list topology.ErrorList
		if errors.As(err, &list) && len(list) == 1 {
			return nil, nil, errors.New(list[0].Msg + " (" + path + ")")
		}
		return nil, nil, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		trimmed := strings.TrimLeft(line, " \t")
		col := len(line) - len(trimmed) + 1
		trimmed = strings.TrimRight(trimmed, " \t\r")
		switch {
		case trimmed == "":
			continue
		case strings.ContainsAny(trimmed, " \t"):
			errs = append(errs, &topology.Error{File: path, Line: i + 1, Column: col, Field: "roster",
				Msg: fmt.Sprintf("%q: one name a line (a comment starts with #)", trimmed)})
			continue
		}
		items = append(items, topology.Item{Value: trimmed, Pos: topology.Pos{Line: i + 1, Column: col}})
	}
	if len(items) == 0 && len(errs) == 0 {
		errs = append(errs, &topology.Error{File: path, Field: "roster", Msg: "the roster names no student; write one name a line"})
	}
	return items, errs, nil
}

// checkStudents checks each name and its copy's name, where it was
// written, and returns the good ones.
func checkStudents(p *placed, file, class string, classOK bool, items []topology.Item) []string {
	seen := map[string]topology.Pos{}
	var out []string
	for i, it := range items {
		field := fmt.Sprintf("students[%d]", i)
		if file != p.file {
			field = "roster"
		}
		if i == maxStudents {
			p.errorf(file, it.Pos, field, "more than %d students; split the class", maxStudents)
			break
		}
		s := it.Value
		if first, dup := seen[s]; dup {
			p.errorf(file, it.Pos, field, "duplicate student %q; first given at line %d", s, first.Line)
			continue
		}
		seen[s] = it.Pos
		if !namePattern.MatchString(s) {
			p.errorf(file, it.Pos, field, "student name %q is not valid: use lowercase letters, digits and '-' (not first or last); it names the student's copy of the lab", s)
			continue
		}
		if copy := class + "-" + s; classOK && !topology.ValidLabName(copy) {
			p.errorf(file, it.Pos, field, "student %q's copy would be the lab %q, %d bytes; lab names are at most %d: shorten the student's or the class's name", s, copy, len(copy), topology.MaxLabName)
			continue
		}
		out = append(out, s)
	}
	return out
}

// checkCopyNames refuses two students whose copies would share a network
// namespace or a Docker container name: lab a-b's host c and lab a's
// host b-c are both netns a-b-c.
func checkCopyNames(p *placed, file string, c *Class, items []topology.Item) {
	t := c.Lab.Topo
	nodes := append(t.HostNames(), "router", "wan")
	at := map[string]topology.Pos{}
	for _, it := range items {
		at[it.Value] = it.Pos
	}
	owner := map[string]string{} // "netns NAME" or "container NAME" → student
	for i, s := range c.Students {
		copy := c.Copy(s)
		var names []string
		for _, n := range nodes {
			names = append(names, "network namespace "+labs.NetnsName(copy, n))
		}
		for _, ct := range t.Containers {
			names = append(names, "Docker container "+copy+"-"+ct.Name)
		}
		for _, n := range names {
			if other, ok := owner[n]; ok && other != s {
				field := fmt.Sprintf("students[%d]", i)
				if file != p.file {
					field = "roster"
				}
				p.errorf(file, at[s], field, "student %q's copy and %q's would both make the %s; rename one of them", s, other, n)
				break
			}
			owner[n] = s
		}
	}
}

// resolveLab reads lab as a file relative to the class file's directory
// if there is one, else as a built-in lab, as `ovslab up` reads its
// argument. Errors in the lab's file are that file's (topology errors).
func resolveLab(dir, lab string) (*labs.Source, error) {
	p := lab
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, lab)
	}
	fi, err := os.Stat(p)
	switch {
	case err == nil && !fi.IsDir():
		return labs.Resolve(p)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("lab %s: %v", p, err)
	}
	if data, ok := catalog.Get(lab); ok {
		return labs.FromData(topology.BuiltinPrefix+lab, data)
	}
	return nil, fmt.Errorf("no file %s and no built-in lab %q (ovslab labs lists them)", p, lab)
}
