//go:build gendocs

package main

// This file is built only into the program scripts/release.sh runs to write
// a release's man pages and shell completions from the cobra command tree:
//
//	SOURCE_DATE_EPOCH=... go run -tags gendocs ./cmd/ovslab gendocs DIR VERSION
//
// The released binary leaves it, and go-md2man with it, out.

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() {
	if len(os.Args) < 2 || os.Args[1] != "gendocs" {
		return
	}
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gendocs DIR VERSION (date from SOURCE_DATE_EPOCH)")
		os.Exit(exitUsage)
	}
	if err := genDocs(os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(exitFail)
	}
	os.Exit(exitOK)
}

// genDocs writes DIR/man/man1/ovslab-CMD.1.gz for every visible command and
// DIR/completions/{ovslab.bash,_ovslab,ovslab.fish}. Output depends only on
// the command tree, version and SOURCE_DATE_EPOCH: gzip without name or
// time, so two runs give the same bytes.
func genDocs(dir, version string) error {
	if os.Getenv("SOURCE_DATE_EPOCH") == "" {
		return fmt.Errorf("SOURCE_DATE_EPOCH is not set: man pages would carry today's date")
	}
	root := newRoot()
	man := filepath.Join(dir, "man", "man1")
	comp := filepath.Join(dir, "completions")
	for _, d := range []string{man, comp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	header := doc.GenManHeader{Section: "1", Source: "ovslab " + version, Manual: "ovslab manual"}
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
				if err := walk(sub); err != nil {
					return err
				}
			}
		}
		var page bytes.Buffer
		h := header
		if err := doc.GenMan(c, &h, &page); err != nil {
			return err
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1.gz"
		return writeGzip(filepath.Join(man, name), page.Bytes())
	}
	if err := walk(root); err != nil {
		return err
	}
	for name, gen := range map[string]func(*bytes.Buffer) error{
		"ovslab.bash": func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) },
		"_ovslab":     func(b *bytes.Buffer) error { return root.GenZshCompletion(b) },
		"ovslab.fish": func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) },
	} {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(comp, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
