package testenv

import (
	"testing"
	"time"
)

// Returns runs fn and returns its error; if fn has not returned after
// limit, it fails the test with hang instead: a call that hangs is a
// failure, not a test that waits forever.
func Returns(t testing.TB, limit time.Duration, hang string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatal(hang)
		return nil
	}
}
