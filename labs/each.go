package labs

import (
	"errors"
	"sync"

	"golang.org/x/sync/errgroup"
)

// each runs fn for every item, at most limit at once, and returns every
// error joined: one host or container failing does not stop the others,
// and the report names them all. fn wraps its error with the item's name.
func each[T any](items []T, limit int, fn func(T) error) error {
	var (
		mu   sync.Mutex
		errs []error
		g    errgroup.Group
	)
	g.SetLimit(max(limit, 1))
	for _, it := range items {
		g.Go(func() error {
			if err := fn(it); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// eachIndex runs fn for 0..n-1, at most limit at once: fn fills the k-th
// slot of results the caller made, so their order is the input's.
func eachIndex(n, limit int, fn func(k int)) {
	var g errgroup.Group
	g.SetLimit(max(limit, 1))
	for k := range n {
		g.Go(func() error {
			fn(k)
			return nil
		})
	}
	_ = g.Wait()
}
