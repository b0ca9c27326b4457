package class

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ovslab/ovslab/labs"
)

// Result is how one student's copy fared in Up or Down.
type Result struct {
	Student string
	Lab     string
	Err     error
	Took    time.Duration
	Removed bool // Up took the copy down: its student left the class
}

// UpOptions are the knobs of class up.
type UpOptions struct {
	// Reporter gets every copy's steps, each prefixed with its student.
	labs.Reporter
	Jobs     int  // containers worked on at once across all copies; 0: labs.DefaultJobs()
	Parallel int  // copies brought up at once; 0: DefaultParallel()
	NoWait   bool // fail a copy at once if another up/down of it is running
	// Available is the memory the machine can give, in bytes; nil reads
	// MemAvailable from /proc/meminfo.
	Available func() (uint64, error)
}

// DefaultParallel is how many copies come up at once unless told: twice
// the container jobs, so that while some copies build their namespaces
// and start their OVS daemons, others have containers waiting for the
// shared pool and dockerd is never idle.
func DefaultParallel() int { return 2 * labs.DefaultJobs() }

// Up brings every student's copy of c up on this machine, emulated, and
// converges those already up, as `ovslab up` does. The copies come up at
// once (o.Parallel at a time) and share one pool of container work
// (labs.Pool). Before changing anything it refuses when a copy's name is
// taken (by another class's copy, or by a lab made from another file)
// or when the copies not yet up would not fit in memory (Fit). Then it
// records the class (Get, URLs), takes down the copies of students the
// class no longer has, and brings the copies up. One copy failing does
// not stop the others: each has its Result.
func Up(ctx context.Context, c *Class, o UpOptions) ([]Result, error) {
	missing, err := checkNames(c)
	if err != nil {
		return nil, err
	}
	avail := o.Available
	if avail == nil {
		avail = MemAvailable
	}
	free, err := avail()
	if err != nil {
		return nil, fmt.Errorf("class %s: how much memory is available: %w", c.Name, err)
	}
	if err := Fit(c, missing, free); err != nil {
		return nil, err
	}
	prev, _ := Get(c.Name)
	if err := register(c); err != nil {
		return nil, err
	}
	var results []Result
	if prev != nil {
		var gone []string
		for _, s := range prev.Students {
			if !slices.Contains(c.Students, s) {
				gone = append(gone, s)
			}
		}
		results = downCopies(ctx, c, gone, o.Parallel, labs.DownOptions{Reporter: o.Reporter, NoWait: o.NoWait}, "removing (no longer in the class)")
		for i := range results {
			results[i].Removed = true
		}
	}
	labs.WarnLargeChurn(ctx, len(c.Students)*len(c.Lab.Topo.Containers), o.Reporter)
	pool := labs.NewPool(o.Jobs)
	// One list of the machine's containers for every copy: the copies'
	// names are their own (checkNames), so what the others make meanwhile
	// cannot clash. Unreadable, each copy's up says why.
	listed := labs.ListContainers(ctx)
	up := eachStudent(ctx, c, c.Students, o.Parallel, func(s string) error {
		src, err := c.source()
		if err != nil {
			return err
		}
		return labs.Up(ctx, src, labs.UpOptions{Reporter: prefixed(o.Reporter, s), Emulate: true, Name: c.Copy(s), Pool: pool, NoWait: o.NoWait, Listed: listed})
	})
	return append(results, up...), nil
}

// checkNames refuses a copy whose name another class has, or a lab up
// here from another file under a copy's name that the class has not
// made; it returns how many copies are not up yet.
func checkNames(c *Class) (int, error) {
	owner, err := owners(c.Name)
	if err != nil {
		return 0, err
	}
	prev, _ := Get(c.Name)
	here, err := labs.Labs()
	if err != nil {
		return 0, err
	}
	missing := 0
	for _, s := range c.Students {
		lab := c.Copy(s)
		if other, ok := owner[lab]; ok {
			return 0, labs.Usagef("class %s: student %s's copy %s is a copy of class %s already; rename the student or the class", c.Name, s, lab, other)
		}
		if !slices.Contains(here, lab) {
			missing++
			continue
		}
		if prev != nil && slices.Contains(prev.Students, s) {
			continue // the class's own copy
		}
		st, err := labs.LoadState(lab)
		if err == nil && st.Source != c.Lab.Name {
			return 0, labs.Usagef("class %s: lab %s is up here from %s, not from the class's lab %s; take it down first (ovslab down %s) or rename the student", c.Name, lab, st.Source, c.Lab.Name, lab)
		}
	}
	return missing, nil
}

// DownOptions are the knobs of class down.
type DownOptions struct {
	labs.Reporter      // as in UpOptions
	Parallel      int  // copies taken down at once; 0: DefaultParallel()
	NoWait        bool // fail a copy at once if another up/down of it is running
	// Forget also removes the class's record once every copy is down: its
	// URLs stop working and `ovslab serve` no longer shows it.
	Forget bool
}

// Down takes down the copy of every student of c, and of every student
// the class was recorded with, and nothing else. A class that is down
// keeps its record, so its URLs work again when it comes back up, unless
// o.Forget.
func Down(ctx context.Context, c *Class, o DownOptions) ([]Result, error) {
	students := slices.Clone(c.Students)
	if prev, err := Get(c.Name); err == nil {
		for _, s := range prev.Students {
			if !slices.Contains(students, s) {
				students = append(students, s)
			}
		}
	}
	res := downCopies(ctx, c, students, o.Parallel, labs.DownOptions{Reporter: o.Reporter, NoWait: o.NoWait}, "")
	if o.Forget && Failed(res) == 0 {
		if err := Forget(c.Name); err != nil {
			return res, err
		}
	}
	return res, nil
}

func downCopies(ctx context.Context, c *Class, students []string, parallel int, o labs.DownOptions, why string) []Result {
	return eachStudent(ctx, c, students, parallel, func(s string) error {
		do := o
		do.Reporter = prefixed(o.Reporter, s)
		if why != "" {
			do.Progressf("%s", why)
		}
		return labs.Down(ctx, c.Copy(s), do)
	})
}

// Failed counts the results with an error.
func Failed(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Err != nil {
			n++
		}
	}
	return n
}

// eachStudent runs fn for every student, parallel at a time (0:
// DefaultParallel()), and returns a Result each, in the students' order.
func eachStudent(ctx context.Context, c *Class, students []string, parallel int, fn func(string) error) []Result {
	if parallel <= 0 {
		parallel = DefaultParallel()
	}
	out := make([]Result, len(students))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, s := range students {
		out[i] = Result{Student: s, Lab: c.Copy(s)}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			out[i].Err = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			out[i].Err = fn(s)
			out[i].Took = time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

// prefixed is r with every message prefixed by the student's name.
func prefixed(r labs.Reporter, student string) labs.Reporter {
	wrap := func(f func(string, ...any)) func(string, ...any) {
		if f == nil {
			return nil
		}
		return func(format string, args ...any) { f("%s: "+format, append([]any{student}, args...)...) }
	}
	return labs.Reporter{Progress: wrap(r.Progress), Note: wrap(r.Note)}
}

// Recreate takes student's copy down and brings it up again, alone: a
// copy a student broke beyond repair, back as the lab file says. The
// other copies are not touched.
func Recreate(ctx context.Context, c *Class, student string, o UpOptions) error {
	if !slices.Contains(c.Students, student) {
		return labs.Usagef("class %s has no student %q", c.Name, student)
	}
	r := prefixed(o.Reporter, student)
	if err := labs.Down(ctx, c.Copy(student), labs.DownOptions{Reporter: r, NoWait: o.NoWait}); err != nil {
		return err
	}
	src, err := c.source()
	if err != nil {
		return err
	}
	return labs.Up(ctx, src, labs.UpOptions{Reporter: r, Emulate: true, Name: c.Copy(student), Jobs: o.Jobs, NoWait: o.NoWait})
}
