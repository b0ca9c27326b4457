package nsutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sysctl reads the sysctl key ("net/ipv4/ip_forward") in the netns at path
// ("" = the caller's). Files under /proc/sys/net belong to the netns of
// the thread that opens them, so the same key reads only that netns.
func Sysctl(path, key string) (string, error) {
	var v string
	err := Do(path, func() error {
		var err error
		v, err = ReadSysctl(key)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("%s in %s: %w", key, Label(path), err)
	}
	return v, nil
}

// SetSysctl writes v to key in the netns at path ("" = the caller's) and
// returns the value it held, for down to put back. An equal value is not
// written, so a repeated up changes nothing (writing ip_forward, for one,
// also resets every interface's forwarding flag).
func SetSysctl(path, key, v string) (old string, err error) {
	err = Do(path, func() error {
		cur, err := ReadSysctl(key)
		if err != nil {
			return err
		}
		old = cur
		if cur == v {
			return nil
		}
		return WriteSysctl(key, v)
	})
	if err != nil {
		return "", fmt.Errorf("%s=%s in %s: %w", key, v, Label(path), err)
	}
	return old, nil
}

func sysctlFile(key string) string {
	return filepath.Join("/proc/sys", filepath.Clean("/"+key))
}

// ReadSysctl reads key in the calling thread's netns: inside Do, for
// callers that read and write several keys on one thread.
func ReadSysctl(key string) (string, error) {
	b, err := os.ReadFile(sysctlFile(key))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// WriteSysctl writes v to key in the calling thread's netns.
func WriteSysctl(key, v string) error {
	return os.WriteFile(sysctlFile(key), []byte(v+"\n"), 0o644)
}

// Label names a netns path in messages; "" would read as nothing.
func Label(path string) string {
	if path == "" {
		return "the current netns"
	}
	return "netns " + path
}
