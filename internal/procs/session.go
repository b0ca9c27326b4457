package procs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// maxRounds bounds KillSession: each round kills what it found, and a
// process forking meanwhile is caught by the next.
const (
	maxRounds  = 100
	roundPause = 10 * time.Millisecond // for SIGKILLed processes to exit
)

// Session returns the PIDs of the processes in session sid, as this
// process's /proc numbers them.
func Session(sid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ok := sessionOf(pid); ok && s == sid {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// sessionOf reads the session field of /proc/PID/stat.
func sessionOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// PID (COMM) STATE PPID PGRP SESSION ...; COMM may hold spaces and
	// parentheses, so fields count from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 4 {
		return 0, false
	}
	s, err := strconv.Atoi(string(f[3]))
	return s, err == nil
}

// KillSession sends SIGKILL to every process of session sid until none is
// left, and returns how many it signalled. Equivalent to: pkill -KILL -s
// SID, repeated. sid must be a session whose leader is still alive or
// unreaped, or that still has members, so that the number cannot have
// been reused.
func KillSession(sid int) (int, error) {
	if sid <= 1 {
		return 0, fmt.Errorf("procs: refusing to kill session %d", sid)
	}
	killed := 0
	for range maxRounds {
		pids, err := Session(sid)
		if err != nil {
			return killed, err
		}
		live := 0
		for _, pid := range pids {
			if zombie(pid) {
				continue
			}
			live++
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
		if live == 0 {
			return killed, nil
		}
		time.Sleep(roundPause)
	}
	return killed, fmt.Errorf("procs: session %d still has processes after %d rounds of SIGKILL", sid, maxRounds)
}

// zombie reports whether pid has exited (zombie or dead): nothing to kill.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}
