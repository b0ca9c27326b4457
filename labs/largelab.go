package labs

import (
	"context"
	"fmt"

	"github.com/ovslab/ovslab/containers"
)

// largeLab is how many containers on one dockerd make up warn about
// Docker's deadlock under container churn (containers.ChurnDeadlock).
// Every up and down of a lab starts or removes each of its containers
// on Docker's one "none" network, and each removal is a chance for the
// race, so the risk grows with the lab. 200 is where the labs of
// scripts/bench-scale.sh begin (4 hosts x 50) and where the 20.10.24 hang
// of 2026-12-06 was met (after 1000- and 200-container up/down and
// docker run/rm), while the built-in labs and a class's copies have a
// handful each: a warning on every small up would teach users to skip
// warnings. A var so a root test can make a small lab large.
var largeLab = 200

// churnWarning is the warning up gives for a lab of n containers on a
// dockerd of Docker Engine version, or "" when there is none to give:
// the lab is small, or the release is fixed or unknown.
func churnWarning(version string, n int) string {
	if n < largeLab {
		return ""
	}
	if affected, _ := containers.ChurnDeadlock(version); !affected {
		return ""
	}
	return fmt.Sprintf("warning: Docker %s can deadlock when many containers start and stop (%s, fixed in %s): "+
		"with %d containers on it, dockerd may stop answering `docker run` and `docker info` for good; "+
		"ovslab then stops with an error naming dockerd, and restarting dockerd is the way out. "+
		"For labs this large, upgrade Docker",
		version, containers.DeadlockBug, containers.DeadlockFixedIn, n)
}

// warnLargeLab gives churnWarning for the n containers up puts on dc's
// dockerd, through wait. It asks dockerd's release only for a large lab,
// once, and beside up's own first calls (wait collects the answer): a
// small up costs no extra round trip, a no-op up of a large one no extra
// wait (/version makes a 20.10 dockerd run runc and its init, 0.1-0.3 s
// on a loaded 2-core machine).
func warnLargeLab(ctx context.Context, dc *containers.Client, n int, r Reporter) (wait func()) {
	if dc == nil || n < largeLab {
		return func() {}
	}
	version := make(chan string, 1)
	go func() { version <- dc.EngineVersion(ctx) }()
	return func() {
		if w := churnWarning(<-version, n); w != "" {
			r.notef("%s", w)
		}
	}
}

// WarnLargeChurn gives up's warning for n containers that several labs
// (a class's copies, each small) start together on this machine's
// dockerd: the deadlock counts the churn, not the labs. Nothing when n
// is small, Docker cannot be reached (each up then says why) or its
// release is fixed.
func WarnLargeChurn(ctx context.Context, n int, r Reporter) {
	if n < largeLab {
		return
	}
	dc, err := containers.Connect(ctx)
	if err != nil {
		return
	}
	defer dc.Close()
	warnLargeLab(ctx, dc, n, r)()
}
