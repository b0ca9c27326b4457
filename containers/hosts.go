package containers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// HostName is one line's worth of /etc/hosts: a name and its address.
type HostName struct {
	Name    string
	Address netip.Addr
}

// hostsBase is what Docker writes into the /etc/hosts of a container with
// NetworkMode none; names come after it.
const hostsBase = `127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
ff00::0	ip6-mcastprefix
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
`

// HostsFile renders /etc/hosts: Docker's own lines, then one line per
// address with its names in the order given (the resolver returns the
// first line that names a host).
func HostsFile(names []HostName) []byte {
	var b bytes.Buffer
	b.WriteString(hostsBase)
	if len(names) > 0 {
		b.WriteString("# lab containers, written by ovslab\n")
	}
	var order []netip.Addr
	byAddr := map[netip.Addr][]string{}
	for _, n := range names {
		if _, seen := byAddr[n.Address]; !seen {
			order = append(order, n.Address)
		}
		byAddr[n.Address] = append(byAddr[n.Address], n.Name)
	}
	for _, a := range order {
		fmt.Fprintf(&b, "%s\t%s\n", a, strings.Join(byAddr[a], " "))
	}
	return b.Bytes()
}

// SetHosts makes content the /etc/hosts of the running container id
// whose main process is pid, and reports whether it had to write. A pid
// that is not that container's any more is an error: nothing is written.
//
// Why this way: Docker bind-mounts a file of its own on /etc/hosts, so the
// archive API (CopyToContainer) cannot replace it ("unlinkat /etc/hosts:
// device or resource busy"); ExtraHosts is fixed at create time, so a new
// container would mean recreating every other one; an exec needs a shell
// in the image. Writing through /proc/PID/root reaches the very file the
// container sees, needs only what plumbing the container's netns needs
// (root on the Docker host), and keeps the names out of the container's
// spec, so adding a container to the lab rewrites the others' files
// without recreating them. The file is rewritten in place, not renamed
// over: a bind-mounted file cannot be replaced. Docker writes it afresh
// only when it starts the container, and every up rewrites it after that.
func SetHosts(id string, pid int, content []byte) (bool, error) {
	p, err := OpenProcess(id, pid)
	if err != nil {
		return false, fmt.Errorf("/etc/hosts of container pid %d: %w", pid, err)
	}
	defer p.Close()
	return p.SetHosts(content)
}

// SetHosts is SetHosts of p's container.
func (p *Process) SetHosts(content []byte) (bool, error) {
	rewrote, _, err := p.SetHostsStamped(content, "", "")
	return rewrote, err
}

// SetHostsStamped is SetHosts that reads the file only when it may have
// changed since an earlier call: the file holds a line per name of the
// lab, so reading every container's at every up reads the square of the
// lab (40 MB at 1000 containers). It returns the file's stamp, its inode,
// size and change time with sum (HostsSum of content), for the next call
// to pass as last: while the stamp is the same, the file is what that
// call left. The kernel changes the change time at every write and no
// one can set it back (touch sets only the modification time).
func (p *Process) SetHostsStamped(content []byte, sum, last string) (rewrote bool, stamp string, err error) {
	if last != "" && p.hostsStat(sum) == last {
		return false, last, nil
	}
	f, err := p.openInRoot("etc/hosts", unix.O_RDONLY)
	if err == nil {
		stamp = hostsStamp(f, sum)
		same := (stamp != "" && stamp == last) || hostsMatch(f, content)
		f.Close()
		if same {
			return false, stamp, nil
		}
	}
	fail := func(err error) (bool, string, error) {
		return false, "", fmt.Errorf("/etc/hosts of container pid %d: %w", p.Pid, err)
	}
	if f, err = p.openInRoot("etc/hosts", unix.O_WRONLY|unix.O_TRUNC); err != nil {
		return fail(err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return fail(err)
	}
	stamp = hostsStamp(f, sum)
	if err := f.Close(); err != nil {
		return fail(err)
	}
	return true, stamp, nil
}

// HostsSum names a hosts file's content in a few bytes, for its stamp.
func HostsSum(content []byte) string {
	s := sha256.Sum256(content)
	return hex.EncodeToString(s[:8])
}

// hostsStamp is the stamp of the open file f for content summed as sum,
// "" without a sum or when f cannot be read.
func hostsStamp(f *os.File, sum string) string {
	var st unix.Stat_t
	if sum == "" || unix.Fstat(int(f.Fd()), &st) != nil {
		return ""
	}
	return stampOf(sum, &st)
}

// hostsStat is the stamp of the container's /etc/hosts from one stat
// through /proc/PID/root, "" if it cannot tell. Unlike openInRoot, the
// path may leave the container through a symlink; that is harmless here,
// as only a stamp equal to one taken from the file itself counts, and no
// other file has its device, inode and change time.
func (p *Process) hostsStat(sum string) string {
	var st unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(p.Pid)+"/root/etc/hosts", &st) != nil || p.alive() != nil {
		return ""
	}
	return stampOf(sum, &st)
}

func stampOf(sum string, st *unix.Stat_t) string {
	return fmt.Sprintf("%s %d:%d %d %d.%09d", sum, st.Dev, st.Ino, st.Size, st.Ctim.Sec, st.Ctim.Nsec)
}

// HostsMatch reports whether the /etc/hosts of running container id, main
// process pid, holds exactly content, for status.
func HostsMatch(id string, pid int, content []byte) bool {
	p, err := OpenProcess(id, pid)
	if err != nil {
		return false
	}
	defer p.Close()
	return p.HostsMatch(content)
}

// HostsMatch is HostsMatch of p's container.
func (p *Process) HostsMatch(content []byte) bool {
	f, err := p.openInRoot("etc/hosts", unix.O_RDONLY)
	if err != nil {
		return false
	}
	defer f.Close()
	return hostsMatch(f, content)
}

// hostsMatch reports whether f, open at its start, holds exactly content.
func hostsMatch(f *os.File, content []byte) bool {
	// One byte more than content: a longer file differs. Read into a
	// buffer of that size at once, the file holding a line per name of
	// the lab and every container of the lab being read.
	cur := make([]byte, len(content)+1)
	n, err := io.ReadFull(f, cur)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false
	}
	return bytes.Equal(cur[:n], content)
}

// openInRoot opens path inside the container's root filesystem.
// Symlinks resolve inside that root (RESOLVE_IN_ROOT): on a plain
// /proc/PID/root/... path an absolute link would resolve against this
// machine's root, and lead a write as root out of the container. Docker's
// own layout (its init layer makes /etc a directory, and /etc/hosts is a
// mount) leaves no such link today; this keeps it so for any runtime.
// The root is that of p, opened while p is held.
func (p *Process) openInRoot(path string, flags int) (*os.File, error) {
	root, err := p.root()
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	fd, err := unix.Openat2(root, path, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/" + path, Err: err}
	}
	return os.NewFile(uintptr(fd), "/"+path), nil
}
