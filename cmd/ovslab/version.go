package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ovslab/ovslab/internal/buildinfo"
	"github.com/ovslab/ovslab/remote"
	"github.com/spf13/cobra"
)

// versionInfo is `ovslab version -o json`.
type versionInfo struct {
	buildinfo.Info
	// ID is the first line of `ovslab version`: the version and a hash of
	// the binary. `--all` keeps a host's copy under this name and copies
	// one when the host's has another SHA-256.
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
}

func newVersion() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "version [-o json]",
		Short: "Print this ovslab's version, commit, build date and Go version",
		Long: `Print this ovslab's version, commit, build date and Go version.

The first line, the version and a hash of this binary, is what "up --all"
compares to decide whether a host needs a copy of it.`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			id, err := remote.Version()
			if err != nil {
				return err
			}
			sum, _ := remote.SHA256()
			v := versionInfo{Info: buildinfo.Get(), ID: id, SHA256: sum}
			if output == "json" {
				return writeJSON(os.Stdout, v)
			}
			printVersion(os.Stdout, v)
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	return c
}

func printVersion(w io.Writer, v versionInfo) {
	fmt.Fprintf(w, "ovslab %s\n", v.ID)
	fmt.Fprintf(w, "  version  %s\n", v.Version)
	fmt.Fprintf(w, "  commit   %s\n", v.Commit)
	fmt.Fprintf(w, "  built    %s\n", v.Date)
	fmt.Fprintf(w, "  go       %s %s\n", v.Go, v.Platform)
	fmt.Fprintf(w, "  sha256   %s\n", v.SHA256)
}
