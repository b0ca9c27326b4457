package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// An interrupted run says it was cancelled even where the step it
// stopped reported only the signal; an uninterrupted one is left as is.
func TestInterruptedSaysCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	docker := fmt.Errorf(`list containers: Get "http://docker/containers/json": %w`, signalCause("interrupt signal received"))
	if got := interrupted(ctx, docker); got != docker {
		t.Errorf("not interrupted: %v, want the error as it was", got)
	}
	cancel(signalCause("interrupt signal received"))
	got := interrupted(ctx, docker)
	if !errors.Is(got, context.Canceled) || !strings.Contains(got.Error(), "context canceled") || !errors.Is(got, docker) {
		t.Errorf("interrupted: %v, want it to keep the error and say context canceled", got)
	}
	if again := interrupted(ctx, got); again != got {
		t.Errorf("said twice: %v", again)
	}
}

// signalCause is what signal.NotifyContext cancels with: it matches
// context.Canceled, but its text does not say so.
type signalCause string

func (s signalCause) Error() string        { return string(s) }
func (s signalCause) Is(target error) bool { return target == context.Canceled }
