package labs

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// A namespace cannot carry a label, so a lab marks each netns it makes with
// an alias on the netns's loopback: "ovslab:<lab>:<node>". The alias lives
// and dies with the namespace, survives the loss of the state directory,
// and `ip -n NS link show lo` shows it.
const netnsMarkPrefix = "ovslab:"

func netnsMark(lab, node string) string { return netnsMarkPrefix + lab + ":" + node }

// netnsOwner returns the lab and node a netns is marked for; ok is false
// for an unmarked (or vanished) netns.
func netnsOwner(name string) (lab, node string, ok bool) {
	var alias string
	if err := nsutil.InNamed(name, func(n *nsutil.NS) (err error) {
		alias, err = n.Alias("lo")
		return err
	}); err != nil {
		return "", "", false
	}
	rest, found := strings.CutPrefix(alias, netnsMarkPrefix)
	if !found {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// markedFor reports whether netns name carries lab's mark.
func markedFor(name, lab string) bool {
	owner, _, ok := netnsOwner(name)
	return ok && owner == lab
}

// markedNetns lists the netns on this machine that carry a mark, by lab
// (each lab's sorted), reading only names that could be lab's (all labs
// for lab ""): a lab's netns are named <lab>-<node>.
func markedNetns(lab string) (map[string][]string, error) {
	ents, err := os.ReadDir(nsutil.NetnsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, e := range ents {
		if lab != "" && !strings.HasPrefix(e.Name(), lab+"-") {
			continue
		}
		if owner, _, ok := netnsOwner(e.Name()); ok && (lab == "" || owner == lab) {
			out[owner] = append(out[owner], e.Name())
		}
	}
	for _, ns := range out {
		slices.Sort(ns)
	}
	return out, nil
}
