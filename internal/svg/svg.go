package svg

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/goccy/go-graphviz"
)

// FromDOT lays out the DOT graph with Graphviz's dot layout and writes it
// to w as SVG.
func FromDOT(ctx context.Context, dot string, w io.Writer) (err error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return fmt.Errorf("graphviz: %w", err)
	}
	defer func() { err = errors.Join(err, gv.Close()) }()
	g, err := graphviz.ParseBytes([]byte(dot))
	if err != nil {
		return fmt.Errorf("graphviz: parse DOT: %w", err)
	}
	defer func() { err = errors.Join(err, g.Close()) }()
	if err := gv.Render(ctx, g, graphviz.SVG, w); err != nil {
		return fmt.Errorf("graphviz: render SVG: %w", err)
	}
	return nil
}
