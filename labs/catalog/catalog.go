package catalog

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

// labs holds every lab directory: <name>/topology.yaml and <name>/README.md.
//
//go:embed */topology.yaml */README.md
var labs embed.FS

// Names lists the built-in labs, sorted.
func Names() []string {
	entries, err := fs.ReadDir(labs, ".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if _, ok := Get(e.Name()); e.IsDir() && ok {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// Get returns the topology file of the built-in lab name.
func Get(name string) ([]byte, bool) {
	return read(name, "topology.yaml")
}

// README returns the student's guide to the built-in lab name (Markdown)
// as the student reads it: without its HTML comments, which hold what
// the walkthrough test needs and a reader does not (see doc.go).
func README(name string) (string, bool) {
	b, ok := read(name, "README.md")
	return stripComments(string(b)), ok
}

// stripComments removes HTML comments (<!-- ... -->), and a line that
// held nothing else.
func stripComments(s string) string {
	var b strings.Builder
	for {
		start := strings.Index(s, "<!--")
		if start < 0 {
			break
		}
		end := strings.Index(s[start:], "-->")
		if end < 0 {
			break
		}
		before, after := s[:start], s[start+end+3:]
		lineStart := strings.LastIndex(before, "\n") + 1
		if strings.TrimSpace(before[lineStart:]) == "" && strings.HasPrefix(after, "\n") {
			before, after = before[:lineStart], after[1:] // the comment was the line
		}
		b.WriteString(before)
		s = after
	}
	b.WriteString(s)
	return b.String()
}

// Describe returns a one-line summary of the built-in lab name, taken from
// its README's title ("# name — summary"), or "" for an unknown lab.
func Describe(name string) string {
	text, ok := README(name)
	if !ok {
		return ""
	}
	for _, line := range strings.Split(text, "\n") {
		title, ok := strings.CutPrefix(strings.TrimSpace(line), "# ")
		if !ok {
			continue
		}
		for _, sep := range []string{" — ", " - ", ": "} {
			if _, rest, found := strings.Cut(title, sep); found {
				return strings.TrimSpace(rest)
			}
		}
		return strings.TrimSpace(title)
	}
	return ""
}

func read(name, file string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return nil, false
	}
	b, err := labs.ReadFile(name + "/" + file)
	if err != nil {
		return nil, false
	}
	return b, true
}
