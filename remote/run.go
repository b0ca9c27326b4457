package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// ExitError is a remote command that ran and exited non-zero.
type ExitError struct {
	Host string
	Code int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("host %s: exit status %d", e.Host, e.Code)
}

// Run runs argv on the host, its words quoted for the remote shell, with
// stdin, stdout and stderr attached (any may be nil). A non-zero exit is an
// *ExitError. Cancelling ctx sends SIGTERM, as Ctrl-C would locally, and
// gives the command a moment to leave a state that down can remove. A host
// that stops answering keepalives ends the run with an error wrapping
// ErrNoAnswer.
func (c *Conn) Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return c.run(ctx, Command(argv...), stdin, stdout, stderr)
}

func (c *Conn) run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, err := c.client.NewSession()
	if err != nil {
		return c.orDead(fmt.Errorf("host %s: ssh session: %w", c.Target.Host, err))
	}
	defer s.Close()
	s.Stdin, s.Stdout, s.Stderr = stdin, stdout, stderr
	if err := s.Start(cmd); err != nil {
		return c.orDead(fmt.Errorf("host %s: start %s: %w", c.Target.Host, cmd, err))
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGTERM)
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return ctx.Err()
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Host: c.Target.Host, Code: ee.ExitStatus()}
	}
	if err != nil {
		return c.orDead(fmt.Errorf("host %s: %s: %w", c.Target.Host, cmd, err))
	}
	return nil
}

// orDead prefers, to err, the reason the keepalive closed the connection.
func (c *Conn) orDead(err error) error {
	if dead := c.deadErr(); dead != nil {
		return dead
	}
	return err
}

// output runs a shell command and returns its stdout; stderr goes into
// the error.
func (c *Conn) output(ctx context.Context, cmd string, stdin io.Reader) (string, error) {
	var out, errb bytes.Buffer
	if err := c.run(ctx, cmd, stdin, &out, &errb); err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return out.String(), fmt.Errorf("%w: %s", err, msg)
		}
		return out.String(), err
	}
	return out.String(), nil
}

// Command quotes argv for a POSIX shell, which is how sshd runs a command.
func Command(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// LineWriter writes whole lines to w, each prefixed; writers sharing mu
// never interleave inside a line. Close flushes a last partial line.
type LineWriter struct {
	w      io.Writer
	prefix string
	mu     *sync.Mutex
	buf    []byte
}

// NewLineWriter prefixes every line written to it with prefix.
func NewLineWriter(w io.Writer, prefix string, mu *sync.Mutex) *LineWriter {
	return &LineWriter{w: w, prefix: prefix, mu: mu}
}

func (l *LineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.emit(l.buf[:i+1])
		l.buf = l.buf[i+1:]
	}
}

// Close writes what is left without a newline.
func (l *LineWriter) Close() error {
	if len(l.buf) > 0 {
		l.emit(append(l.buf, '\n'))
		l.buf = nil
	}
	return nil
}

func (l *LineWriter) emit(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// A host's own progress lines already start with its name
	// ("· h1: containers"); prefixed again they would name it twice.
	if bytes.HasPrefix(bytes.TrimPrefix(line, []byte("· ")), []byte(l.prefix)) {
		fmt.Fprintf(l.w, "%s", line)
		return
	}
	fmt.Fprintf(l.w, "%s%s", l.prefix, line)
}
