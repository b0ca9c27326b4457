package class

import (
	"context"
	"sync"
	"time"

	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/labs"
)

// Watch streams the events of the class recorded as name: those of its
// students' copies (labs.Watch), including the copies of students the
// class gains while it runs. o.Match, if set, narrows it further.
func Watch(ctx context.Context, name string, o labs.WatchOptions) (<-chan events.Event, error) {
	if _, err := Get(name); err != nil {
		return nil, err
	}
	mine := Matcher(name)
	if narrow := o.Match; narrow != nil {
		o.Match = func(lab string) bool { return mine(lab) && narrow(lab) }
	} else {
		o.Match = mine
	}
	return labs.Watch(ctx, o), nil
}

// recheck is how long Matcher trusts the record it read: a student
// added to the class is followed within it.
const recheck = 2 * time.Second

// Matcher accepts the labs that are copies of the class recorded as
// name, reading the record again at most every recheck.
func Matcher(name string) func(lab string) bool {
	var (
		mu   sync.Mutex
		c    *Class
		read time.Time
	)
	return func(lab string) bool {
		mu.Lock()
		defer mu.Unlock()
		if c == nil || time.Since(read) > recheck {
			if got, err := Get(name); err == nil {
				c = got
			}
			read = time.Now()
		}
		if c == nil {
			return false
		}
		_, ok := c.Student(lab)
		return ok
	}
}
