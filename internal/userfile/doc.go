// Package userfile creates the files ovslab, running as root, writes on a
// user's behalf (`capture -w`, OVSLAB_CPUPROFILE), so that a name another
// local user planted cannot turn the write against root.
//
// It never follows a symlink in the last component of the path, never
// opens a device, FIFO or socket, and never truncates a file that is not
// the invoking user's own (the sudo user's under sudo, else root's) or
// that has another hard link. It knows nothing of labs or pcap.
package userfile
