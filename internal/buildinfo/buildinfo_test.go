package buildinfo

import (
	"runtime"
	"testing"
)

// TestStamped: values stamped with -X win over the toolchain's.
func TestStamped(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-12-01T10:00:00Z"
	got := Get()
	want := Info{Version: "1.2.3", Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if got != want {
		t.Errorf("Get() = %+v, want %+v", got, want)
	}
}

// TestUnstamped: a test binary has no VCS stamp; every field still says
// something rather than nothing.
func TestUnstamped(t *testing.T) {
	got := Get()
	if got.Version != "devel" || got.Commit == "" || got.Date == "" || got.Go != runtime.Version() {
		t.Errorf("Get() = %+v, want version devel and no empty field", got)
	}
}
