package fleet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ovslab/ovslab/remote"
	"github.com/ovslab/ovslab/topology"
)

// limit bounds how many hosts are talked to at once.
const limit = 32

// fleet is every host of a real-host lab, reached over SSH. A host that
// fails any step is recorded with its error and skipped by later steps;
// the others carry on.
type fleet struct {
	remote   Remote
	progress func(format string, args ...any)
	hosts    []topology.Host
	conns    map[string]*remote.Conn
	bins     map[string]string // host → path of ovslab there
	mu       sync.Mutex
	errs     map[string]error
	outMu    sync.Mutex // one line at a time on remote.Stream
}

// open connects to every host at once and makes sure each has this
// ovslab.
func open(ctx context.Context, t *topology.Topology, r Remote, progress func(string, ...any)) *fleet {
	f := newFleet(t.Hosts, r, progress)
	g := errgroup.Group{}
	g.SetLimit(limit)
	for _, h := range t.Hosts {
		g.Go(func() error {
			_ = f.dial(ctx, h)
			return nil
		})
	}
	_ = g.Wait()
	return f
}

func newFleet(hosts []topology.Host, r Remote, progress func(string, ...any)) *fleet {
	if r.Stream == nil {
		r.Stream = io.Discard
	}
	return &fleet{remote: r, progress: progress, hosts: hosts, conns: map[string]*remote.Conn{}, bins: map[string]string{}, errs: map[string]error{}}
}

// dial connects to one host and makes sure it has this ovslab; a host
// that fails is recorded with its error, which dial also returns.
func (f *fleet) dial(ctx context.Context, h topology.Host) error {
	f.progress("%s: connecting to %s", h.Name, h.SSH)
	c, err := remote.Dial(ctx, remote.Target{Host: h.Name, User: h.SSH.User, HostPort: h.SSH.HostPort()}, f.remote.SSH)
	if err != nil {
		f.fail(h.Name, err)
		return err
	}
	bin, copied, err := c.Ensure(ctx)
	if err != nil {
		c.Close()
		f.fail(h.Name, err)
		return err
	}
	if copied {
		f.progress("%s: copied ovslab to %s", h.Name, bin)
	}
	f.mu.Lock()
	f.conns[h.Name], f.bins[h.Name] = c, bin
	f.mu.Unlock()
	return nil
}

func (f *fleet) close() {
	for _, c := range f.conns {
		c.Close()
	}
}

func (f *fleet) fail(host string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs[host] == nil {
		f.errs[host] = err
	}
}

func (f *fleet) err(host string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs[host]
}

// failed is every host's error, in the file's host order.
func (f *fleet) failed() []error {
	var out []error
	for _, h := range f.hosts {
		if err := f.err(h.Name); err != nil {
			out = append(out, err)
		}
	}
	return out
}

// run runs ovslab ARGS on every host still in good standing, all at once,
// with stdin (if any) and stdout captured per host; the host's stderr is
// streamed to remote.Stream, each line prefixed with the host. okCodes are exit
// codes that are results rather than failures (check's 1). A host whose
// command fails is recorded with its last error message.
func (f *fleet) run(ctx context.Context, args func(h string) []string, stdin []byte, okCodes ...int) map[string][]byte {
	out := map[string][]byte{}
	g := errgroup.Group{}
	g.SetLimit(limit)
	for _, h := range f.hosts {
		if f.err(h.Name) != nil {
			continue
		}
		c, bin := f.conns[h.Name], f.bins[h.Name]
		g.Go(func() error {
			var stdout bytes.Buffer
			tail := &lastError{}
			lw := remote.NewLineWriter(f.remote.Stream, h.Name+": ", &f.outMu)
			argv := append([]string{bin}, args(h.Name)...)
			if f.remote.RemoteProgress {
				argv = append(argv, "--progress")
			}
			var in io.Reader
			if stdin != nil {
				in = bytes.NewReader(stdin)
			}
			err := c.Run(ctx, argv, in, &stdout, io.MultiWriter(lw, tail))
			lw.Close()
			var ee *remote.ExitError
			if errors.As(err, &ee) && containsInt(okCodes, ee.Code) {
				err = nil
			}
			if err != nil {
				if msg := tail.message(); msg != "" {
					err = errors.New("host " + h.Name + ": " + strings.TrimPrefix(msg, "host "+h.Name+": "))
				}
				f.fail(h.Name, err)
				return nil
			}
			f.mu.Lock()
			out[h.Name] = stdout.Bytes()
			f.mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// lastError keeps the last error message a remote ovslab printed, for the
// summary: "ovslab: ..." lines, or a topology error (file:line:col: ...).
type lastError struct {
	buf  bytes.Buffer
	last string
}

func (l *lastError) Write(p []byte) (int, error) {
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line) // partial: wait for the rest
			return len(p), nil
		}
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "· ") && !strings.HasPrefix(line, "warning: ") {
			l.last = strings.TrimPrefix(line, "ovslab: ")
		}
	}
}

func (l *lastError) message() string { return l.last }
