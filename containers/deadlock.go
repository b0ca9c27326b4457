package containers

import (
	"fmt"
	"strconv"
	"strings"
)

// Docker's libnetwork takes a network's lock and then its controller's in
// getSvcRecords (a container leaving its sandbox), and the controller's
// and then the network's in processEndpointDelete (the watch loop after an
// endpoint is deleted). When one container stops while another's endpoint
// is being deleted, each can hold the lock the other waits for: dockerd
// then never answers `docker run` or `docker info` again, while
// `docker ps` still does. Every ovslab container is on Docker's "none"
// network, so a lab's up and down are exactly that churn.
//
// Fixed on the main line by moby/moby#42545 (commit 7c978967, first
// released in 22.06-beta and 23.0.0) and in 20.10 by moby/libnetwork#2679
// (3797618f), vendored in 20.10.27. So every Engine release before
// 20.10.27 counts as affected, Debian 12's docker.io 20.10.24+dfsg1
// included: the lock order goes back to at least 17.06, and older
// releases are long out of support.

// DeadlockBug is the upstream report of the deadlock.
const DeadlockBug = "moby/libnetwork#2649"

// DeadlockFixedIn names the Docker Engine releases that no longer have it.
const DeadlockFixedIn = "20.10.27, 23.0 and later"

// firstFixed is the first Engine release of the 20.10 line with the fix;
// every later line (22.06, 23.0, ...) had it from its start.
var firstFixed = engineRelease{20, 10, 27}

// ChurnDeadlock reports whether a dockerd that says it is Docker Engine
// version (its /version, e.g. "20.10.24+dfsg1") has the libnetwork
// deadlock under container churn. known is false when version is no
// release number ("", a development build): then nothing is said.
func ChurnDeadlock(version string) (affected, known bool) {
	r, ok := parseEngineRelease(version)
	if !ok {
		return false, false
	}
	return r.before(firstFixed), true
}

// deadlockHint is the advice of an error of a stuck dockerd whose version
// has the deadlock: what it is, how to tell, and the way out. "" when the
// version is unknown or fixed.
func deadlockHint(version string) string {
	if affected, _ := ChurnDeadlock(version); !affected {
		return ""
	}
	return fmt.Sprintf("Docker %s has a known deadlock under container churn (%s, fixed in %s): "+
		"if `docker info` hangs while `docker ps` answers, it will not recover: restart dockerd "+
		"(systemctl restart docker; its containers stop), run the command again (up brings a lab's containers back), "+
		"and upgrade Docker", version, DeadlockBug, DeadlockFixedIn)
}

// engineRelease is a Docker Engine release number, major.minor.patch.
type engineRelease [3]int

func (r engineRelease) before(o engineRelease) bool {
	for i := range r {
		if r[i] != o[i] {
			return r[i] < o[i]
		}
	}
	return false
}

// parseEngineRelease reads the numbers a version starts with: distributions
// append their own suffix ("+dfsg1", "-ce", "-1ubuntu1"). At least
// major.minor; a missing patch is 0.
func parseEngineRelease(version string) (engineRelease, bool) {
	end := strings.IndexFunc(version, func(c rune) bool { return (c < '0' || c > '9') && c != '.' })
	if end < 0 {
		end = len(version)
	}
	parts := strings.Split(version[:end], ".")
	if len(parts) < 2 || len(parts) > 3 {
		return engineRelease{}, false
	}
	var r engineRelease
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return engineRelease{}, false
		}
		r[i] = n
	}
	return r, true
}
