package remote

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNoAnswer is wrapped when a host stopped answering on an open
// connection: no reply to a keepalive within the timeout.
var ErrNoAnswer = errors.New("no answer")

// alive watches a connection the way OpenSSH's ServerAliveInterval does: a
// command on a host may rightly run for minutes, but the host's sshd must
// answer a keepalive request at any time. One that does not within the
// timeout is stuck or gone: the connection is closed, which ends every
// session on it, and sessions report why.
type alive struct {
	stop     chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	dead     error
}

// watch sends a keepalive every timeout/2 and gives each timeout to be
// answered.
func (c *Conn) watch(timeout time.Duration) {
	every := time.NewTicker(timeout / 2)
	defer every.Stop()
	for {
		select {
		case <-c.alive.stop:
			return
		case <-every.C:
		}
		reply := make(chan error, 1)
		go func() {
			// sshd answers this name with a failure: any answer will do.
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case <-c.alive.stop:
			return
		case err := <-reply:
			if err != nil {
				return // the connection ended: its sessions say how
			}
		case <-time.After(timeout):
			c.alive.mu.Lock()
			c.alive.dead = fmt.Errorf("host %s (%s) did not answer for %s (no reply to an SSH keepalive); the connection is closed: %w",
				c.Target.Host, c.Target, timeout, ErrNoAnswer)
			c.alive.mu.Unlock()
			c.client.Close()
			return
		}
	}
}

// deadErr is why watch closed the connection, nil if it did not.
func (c *Conn) deadErr() error {
	c.alive.mu.Lock()
	defer c.alive.mu.Unlock()
	return c.alive.dead
}

// stopWatch ends watch; a Conn not made by Dial has none to end.
func (c *Conn) stopWatch() {
	if c.alive.stop != nil {
		c.alive.stopOnce.Do(func() { close(c.alive.stop) })
	}
}
