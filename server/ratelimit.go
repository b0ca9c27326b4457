package server

import (
	"sync"
	"time"

	"github.com/ovslab/ovslab/class"
)

// limiter is a token bucket per key: burst requests at once, then one
// every every.
type limiter struct {
	every time.Duration
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(every time.Duration, burst int) *limiter {
	return &limiter{every: every, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// maxBuckets bounds the buckets kept; full ones are let go past it.
const maxBuckets = 10000

// allow takes a token of key's bucket, or says how long until one is
// there.
func (l *limiter) allow(key string) (bool, time.Duration) {
	return l.take(key, true)
}

// peek says whether key's bucket has a token, taking none.
func (l *limiter) peek(key string) (bool, time.Duration) {
	return l.take(key, false)
}

func (l *limiter) take(key string, consume bool) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.forgetFull(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
	b.at = now
	if b.tokens >= 1 {
		if consume {
			b.tokens--
		}
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}

// forgetFull drops the buckets that have refilled: they hold nothing a
// new bucket would not.
func (l *limiter) forgetFull(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.every) >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// counter bounds how many of something each key holds at once.
type counter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newCounter(max int) *counter { return &counter{max: max, n: map[string]int{}} }

// take counts one more for key, unless key holds max already.
func (c *counter) take(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] >= c.max {
		return false
	}
	c.n[key]++
	return true
}

func (c *counter) put(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key]--; c.n[key] <= 0 {
		delete(c.n, key)
	}
}

// key is the identity's name in the limiters: one per student, one per
// teacher.
func key(id *class.Identity) string {
	return string(id.Role) + "/" + id.Class + "/" + id.Student
}
