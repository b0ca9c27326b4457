// Package buildinfo says which ovslab this is: the release version, commit
// and build date that scripts/release.sh stamps in with -ldflags -X, else
// what the Go toolchain recorded of the checkout it built from. It never
// reads anything but the binary's own build information.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"time"
)

// Stamped by scripts/release.sh:
//
//	-X github.com/ovslab/ovslab/internal/buildinfo.version=1.2.0
//	-X github.com/ovslab/ovslab/internal/buildinfo.commit=<40 hex>
//	-X github.com/ovslab/ovslab/internal/buildinfo.date=<RFC 3339, UTC>
var version, commit, date string

// Info is what `ovslab version` reports.
type Info struct {
	Version  string `json:"version"`  // release version, "devel" for a build from source
	Commit   string `json:"commit"`   // git commit, "+dirty" when built from a modified tree
	Date     string `json:"date"`     // the commit's date, RFC 3339 UTC (reproducible: not the clock)
	Go       string `json:"go"`       // Go toolchain that built it
	Platform string `json:"platform"` // GOOS/GOARCH
}

// Get returns the stamped values, falling back to the toolchain's VCS
// stamp (go build in a git checkout records the commit and its time).
func Get() Info {
	i := Info{Version: version, Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fill(i)
	}
	if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		i.Version = bi.Main.Version
	}
	var rev, at string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if i.Commit == "" && rev != "" {
		i.Commit = rev
		if dirty {
			i.Commit += "+dirty"
		}
	}
	if i.Date == "" && at != "" {
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			i.Date = t.UTC().Format(time.RFC3339)
		}
	}
	return fill(i)
}

func fill(i Info) Info {
	if i.Version == "" {
		i.Version = "devel"
	}
	if i.Commit == "" {
		i.Commit = "unknown"
	}
	if i.Date == "" {
		i.Date = "unknown"
	}
	return i
}
