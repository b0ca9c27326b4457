// Command debpkg writes the .deb of an ovslab release from nfpm.yaml,
// with goreleaser's nfpm as a library. It is a module of its own so that
// nfpm stays out of ovslab's dependencies. scripts/release.sh runs it:
//
//	ARCH=amd64 VERSION=1.2.0 BIN=... DOCS=... REPO=... SOURCE_DATE_EPOCH=... \
//	    go run . nfpm.yaml OUTDIR
//
// Every file's time is SOURCE_DATE_EPOCH, so the same inputs give the same
// package bytes.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: debpkg CONFIG OUTDIR")
		os.Exit(2)
	}
	path, err := build(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "debpkg:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

func build(config, outdir string) (string, error) {
	for _, v := range []string{"ARCH", "VERSION", "BIN", "DOCS", "REPO", "MAINTAINER", "SOURCE_DATE_EPOCH"} {
		if os.Getenv(v) == "" {
			return "", fmt.Errorf("%s is not set", v)
		}
	}
	cfg, err := nfpm.ParseFile(config)
	if err != nil {
		return "", fmt.Errorf("%s: %w", config, err)
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(info)
	target := filepath.Join(outdir, deb.Default.ConventionalFileName(info))
	f, err := os.Create(target)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return "", err
	}
	return target, f.Close()
}
