package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// visible are the machine's top-level entries the shell sees, read-only:
// its programs, their libraries and configuration. Everything else of the
// machine is absent, so a secret kept anywhere else needs no mask.
var visible = []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"}

// masked are hidden even within what is visible: SSH host keys and
// ovslab's own configuration.
var masked = []string{"/etc/ssh", "/etc/ovslab"}

// procMasked are /proc files with kernel internals, masked with /dev/null
// as container runtimes do; /proc/sys is read-only but for /proc/sys/net.
var procMasked = []string{"kcore", "keys", "timer_list", "sched_debug", "sysrq-trigger"}

// devices are the nodes of the shell's /dev: major, minor.
var devices = map[string][2]uint32{
	"null": {1, 3}, "zero": {1, 5}, "full": {1, 7},
	"random": {1, 8}, "urandom": {1, 9}, "tty": {5, 0},
}

const (
	roAttrs = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV
	// staging is where the new root is built, covering the machine's
	// /tmp in this mount namespace only, after every source was taken.
	staging = "/tmp"
)

// source is a machine tree taken, detached, before the new root covers
// anything: a mount fd, or a symlink to recreate.
type source struct {
	name string // under the new root
	fd   int
	link string
}

// buildRoot makes the shell's root and pivots into it, leaving none of
// the machine's mounts in this mount namespace: nothing to see and no
// reference that would keep another lab's netns mount alive.
func buildRoot(c initConfig) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	srcs, err := takeSources()
	if err != nil {
		return err
	}
	ovs, err := takeOVS(c.RunDir, c.DBSocket)
	if err != nil {
		return err
	}
	if err := tmpfs(staging, unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=1m"); err != nil {
		return err
	}
	root := staging
	for _, s := range srcs {
		if err := place(root, s); err != nil {
			return err
		}
	}
	steps := []func(string) error{makeDev, makeProc, makeSys, makeTmp(c.TmpSize), makeRun(ovs, c.UID)}
	for _, step := range steps {
		if err := step(root); err != nil {
			return err
		}
	}
	for _, l := range [][2]string{{"/tmp", "var/tmp"}, {"/run", "var/run"}} {
		if err := os.MkdirAll(filepath.Join(root, "var"), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(l[0], filepath.Join(root, l[1])); err != nil {
			return err
		}
	}
	if err := pivot(root); err != nil {
		return err
	}
	// Masks go on once the new root is "/": a symlink on the way then
	// resolves within it, as it will for the shell.
	for _, h := range append(masked, c.Hide...) {
		if err := mask(h); err != nil {
			return err
		}
	}
	return readOnly("/", unix.MS_NOSUID|unix.MS_NODEV)
}

// takeSources clones each visible tree as a detached read-only mount.
func takeSources() ([]source, error) {
	var out []source
	for _, name := range visible {
		p := "/" + name
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return nil, err
		case fi.Mode()&os.ModeSymlink != 0:
			// merged /usr: /bin -> usr/bin
			l, err := os.Readlink(p)
			if err != nil {
				return nil, err
			}
			out = append(out, source{name: name, fd: -1, link: l})
			continue
		case !fi.IsDir():
			continue
		}
		fd, err := detached(p, unix.AT_RECURSIVE, roAttrs)
		if err != nil {
			return nil, err
		}
		out = append(out, source{name: name, fd: fd})
	}
	return out, nil
}

// detached returns a detached clone of the tree at path with attrs set
// on every mount of it.
func detached(path string, recursive int, attrs uint64) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, uint(unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|recursive))
	if err != nil {
		return -1, fmt.Errorf("cloning %s: %w", path, err)
	}
	attr := &unix.MountAttr{Attr_set: attrs, Propagation: unix.MS_PRIVATE}
	if err := unix.MountSetattr(fd, "", uint(unix.AT_EMPTY_PATH|unix.AT_RECURSIVE), attr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("making %s read-only: %w", path, err)
	}
	return fd, nil
}

// place attaches one source under root.
func place(root string, s source) error {
	target := filepath.Join(root, s.name)
	if s.fd < 0 {
		return os.Symlink(s.link, target)
	}
	defer unix.Close(s.fd)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	if err := unix.MoveMount(s.fd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mounting /%s: %w", s.name, err)
	}
	return nil
}

// makeDev makes a /dev of a few nodes and a devpts of its own: the
// shell's terminal is already open, other terminals stay out of reach.
func makeDev(root string) error {
	dev := filepath.Join(root, "dev")
	if err := os.Mkdir(dev, 0o755); err != nil {
		return err
	}
	if err := tmpfs(dev, unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
		return err
	}
	for name, n := range devices {
		p := filepath.Join(dev, name)
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(n[0], n[1]))); err != nil {
			return fmt.Errorf("mknod %s: %w", p, err)
		}
		// mknod's mode went through the umask.
		if err := os.Chmod(p, 0o666); err != nil {
			return err
		}
	}
	pts := filepath.Join(dev, "pts")
	if err := os.Mkdir(pts, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("devpts", pts, "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return fmt.Errorf("mounting devpts: %w", err)
	}
	links := [][2]string{{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}}
	for _, l := range links {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return err
		}
	}
	return readOnly(dev, unix.MS_NOSUID|unix.MS_NOEXEC)
}

// makeProc mounts a /proc of the new PID namespace.
func makeProc(root string) error {
	proc := filepath.Join(root, "proc")
	if err := os.Mkdir(proc, 0o555); err != nil {
		return err
	}
	if err := unix.Mount("proc", proc, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	null := filepath.Join(root, "dev/null")
	for _, name := range procMasked {
		p := filepath.Join(proc, name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := bind(null, p, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC); err != nil {
			return err
		}
	}
	// The host's network sysctls (ip_forward, rp_filter) stay writable
	// with CAP_NET_ADMIN; the kernel's others never are.
	sys, net := filepath.Join(proc, "sys"), filepath.Join(proc, "sys/net")
	if err := bind(sys, sys, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC); err != nil {
		return err
	}
	return bind(net, net, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
}

// makeSys mounts a read-only sysfs. It shows the netns of the mounting
// thread, the host's: /sys/class/net lists only the host's links.
func makeSys(root string) error {
	sys := filepath.Join(root, "sys")
	if err := os.Mkdir(sys, 0o555); err != nil {
		return err
	}
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("sysfs", sys, "sysfs", flags, ""); err != nil {
		return fmt.Errorf("mounting /sys: %w", err)
	}
	return nil
}

func makeTmp(size int64) func(string) error {
	return func(root string) error {
		tmp := filepath.Join(root, "tmp")
		if err := os.Mkdir(tmp, 0o755); err != nil {
			return err
		}
		return tmpfs(tmp, unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size="+strconv.FormatInt(size, 10))
	}
}

// makeRun gives /run a read-only tmpfs of its own holding the shell's
// view of the host's OVS (nil for none) at OVSDir and a lock file for
// iptables-legacy, which takes /run/xtables.lock.
func makeRun(ovs *ovsView, uid int) func(string) error {
	return func(root string) error {
		run := filepath.Join(root, "run")
		if err := os.Mkdir(run, 0o755); err != nil {
			return err
		}
		if err := tmpfs(run, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
			return err
		}
		// Opened read-only and flocked: readable is enough.
		if err := os.WriteFile(filepath.Join(run, "xtables.lock"), nil, 0o644); err != nil {
			return err
		}
		if ovs != nil {
			if err := ovs.place(filepath.Join(root, OVSDir), uid); err != nil {
				return err
			}
		}
		return readOnly(run, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
	}
}

func tmpfs(dir string, flags uintptr, opts string) error {
	if err := unix.Mount("tmpfs", dir, "tmpfs", flags, opts); err != nil {
		return fmt.Errorf("mounting tmpfs on %s: %w", dir, err)
	}
	return nil
}

// bind mounts src on dst with flags, read-only if asked: a bind mount
// takes its source's flags, a remount sets them.
func bind(src, dst string, flags uintptr) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, dst, err)
	}
	if err := unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|flags, ""); err != nil {
		return fmt.Errorf("remount %s: %w", dst, err)
	}
	return nil
}

func readOnly(dir string, flags uintptr) error {
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|flags, ""); err != nil {
		return fmt.Errorf("read-only %s: %w", dir, err)
	}
	return nil
}

// mask covers path with an empty read-only mount, if it exists.
func mask(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return nil
	}
	if !fi.IsDir() {
		return bind("/dev/null", p, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
	}
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("tmpfs", p, "tmpfs", flags, "mode=0755,size=4k"); err != nil {
		return fmt.Errorf("masking %s: %w", p, err)
	}
	return nil
}

// pivot makes root the root of this mount namespace and detaches the
// machine's old root and every mount under it.
func pivot(root string) error {
	if err := os.Chdir(root); err != nil {
		return err
	}
	// pivot_root(".", ".") stacks the old root on the new one; detaching
	// "." then drops the old.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the machine's root: %w", err)
	}
	return os.Chdir("/")
}
