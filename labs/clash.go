package labs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/containers"
)

// containerClash rewords the containers that up found in the way of the
// lab's names with what to do: a container of another lab is that lab's,
// and removing it by hand would break it, while a copy of this lab under
// another name (up --name) has names of its own.
func containerClash(err error) error {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	byOwner := map[string][]string{}
	var other []error
	for _, e := range errs {
		var no *containers.NotOwnedError
		if !errors.As(e, &no) {
			other = append(other, e)
			continue
		}
		byOwner[no.Owner] = append(byOwner[no.Owner], no.Name)
	}
	for _, owner := range slices.Sorted(maps.Keys(byOwner)) {
		names := byOwner[owner]
		slices.Sort(names)
		what := plural(names, "container", "containers") + " " + quoted(names)
		if owner == "" {
			other = append(other, clashError(fmt.Sprintf("%s %s not ovslab's (no %s label): rename or remove %s by hand if you know %s stale, "+
				"or bring this lab up as a copy under another name (ovslab up --name NAME ...), whose containers are named NAME-NODE",
				what, plural(names, "is", "are"), labelLab, plural(names, "it", "them"), plural(names, "it is", "they are"))))
			continue
		}
		other = append(other, clashError(fmt.Sprintf("%s %s lab %s, which is up on this machine: Docker names are machine-wide, so two labs cannot both have them; "+
			"take that lab down (ovslab down %s) or bring this one up as a copy under another name (ovslab up --name NAME ...), whose containers are named NAME-NODE",
			what, plural(names, "belongs to", "belong to"), owner, owner)))
	}
	return errors.Join(other...)
}

// clashError is a container in the lab's way, with the fix.
type clashError string

func (e clashError) Error() string { return string(e) }
func (e clashError) Unwrap() error { return containers.ErrNotOwned }

// quoted lists names as "a", "b" and "c".
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// plural picks the word for how many names there are.
func plural(names []string, one, many string) string {
	if len(names) == 1 {
		return one
	}
	return many
}
