// Package durable writes files that a rename then publishes: each is on
// disk before the rename, so a crash never leaves a name on a file the
// disk does not hold (a lab's state, an emulated host's database).
package durable

import "os"

// WriteFile writes data to path (created with perm, or truncated) and
// flushes it to disk before returning.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// SyncDir flushes a directory, making a rename inside it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
