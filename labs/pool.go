package labs

import "sync"

// Pool is what several Ups running at once share (the copies of a
// class): one bound on the containers worked on at once across all of
// them, so they queue for dockerd together instead of each bringing its
// own pool, and each image made ready once instead of once per copy.
type Pool struct {
	jobs   chan struct{}
	images sync.Map // image name → *imageCheck
}

// NewPool is a Pool that works on at most jobs containers at once
// (0: DefaultJobs()).
func NewPool(jobs int) *Pool {
	if jobs <= 0 {
		jobs = DefaultJobs()
	}
	return &Pool{jobs: make(chan struct{}, jobs)}
}

// imageCheck is one image made ready: whether it has a command to run,
// or why it could not be had.
type imageCheck struct {
	once   sync.Once
	hasCmd bool
	err    error
}

// image makes image ready through ready, once per pool.
func (p *Pool) image(name string, ready func() (bool, error)) (bool, error) {
	v, _ := p.images.LoadOrStore(name, &imageCheck{})
	c := v.(*imageCheck)
	c.once.Do(func() { c.hasCmd, c.err = ready() })
	return c.hasCmd, c.err
}

// pool is the Pool of this Up: the shared one, else its own.
func (o UpOptions) pool() *Pool {
	if o.Pool != nil {
		return o.Pool
	}
	return NewPool(o.jobs())
}
