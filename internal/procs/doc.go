// Package procs finds and kills local processes by session, for ending
// everything a terminal started: a terminal's shell leads a session, and
// its jobs, each in a process group of its own, stay in that session.
// It reads /proc and sends signals; it never starts anything.
package procs
