// Package sandbox starts a student's shell on an emulated host: in that
// host's network namespace and nowhere else, as an unprivileged user who
// keeps only CAP_NET_ADMIN and CAP_NET_RAW, so that ip, iptables, tcpdump
// and the host's own OVS tools work while the machine stays out of reach.
//
// The shell is started by re-executing the running binary (/proc/self/exe)
// as PID 1 of new mount, PID, UTS and IPC namespaces; its hidden entry
// point, Init, must be the first call of main (and of a test binary's
// TestMain). Init, still root, joins the shell's cgroups and the host's
// netns, builds a root of its own and execs the shell. What the shell
// sees:
//
//   - a new root (a tmpfs) holding read-only, nosuid, nodev binds of the
//     machine's /usr, /etc, /bin, /sbin and /lib* (or their merged-/usr
//     symlinks), nothing else of the machine: no /root, /home, /var, /run,
//     /srv, /opt, /mnt or the machine's /tmp, so no tokens, other labs' run
//     directories, netns mounts, Docker's socket or containers' files;
//     /etc/ssh, /etc/ovslab and Config.Hide are masked by empty read-only
//     mounts;
//   - /tmp: a private tmpfs of Config.TmpSize, the only writable place;
//   - /run/ovs (OVSDir, OVS_RUNDIR): read-only binds of the host's OVS
//     sockets (a socket still connects on a read-only mount) and logs,
//     taken when the shell starts, and a pidfile of its own so that a
//     plain ovs-appctl finds ovs-vswitchd (ovsdir.go says why);
//     ovsdb-server's control socket is left out; Config.OVSDBSocket
//     puts a relay (internal/ovsdbguard) in db.sock's place;
//   - /proc of its own PID namespace (only its own processes), with
//     /proc/sys read-only except /proc/sys/net (the host's sysctls) and
//     /proc/kcore, keys, timer_list, sched_debug masked;
//   - /sys: a read-only sysfs of the host's netns (only its links);
//   - /dev: null, zero, full, random, urandom, tty and its own devpts.
//
// The shell runs with the uid and gid of Config, no supplementary groups,
// CAP_NET_ADMIN and CAP_NET_RAW as its permitted, effective, inheritable,
// ambient and bounding sets, no_new_privs (setuid bits do nothing), and a
// seccomp filter that refuses new user namespaces, ptrace, keyrings, BPF,
// io_uring, perf events, userfaultfd and every mount, module, kexec,
// reboot and setns call with EPERM. Its processes are capped together by a
// pids cgroup (a fork bomb fails with EAGAIN), a memory cgroup (the OOM
// killer acts inside it) and a cpu cgroup (a busy loop gets Config.CPU of
// a core); without a pids cgroup it falls back to RLIMIT_NPROC, which
// counts every process of the uid on the machine. When PID 1 (the shell) exits or is killed, the
// kernel kills every process of the namespace.
//
// It never decides who may open a shell, never talks to the network, and
// never changes the OVS daemons except through ShareOVS, which the caller
// runs.
package sandbox
