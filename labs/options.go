package labs

import "runtime"

// Each command takes its own options, converted once from its flags: up
// (and preflight, which runs up's checks), down, status, stage and reset. What they
// share is embedded: a Reporter, and Daemons for where a real host's are.

// Reporter is how a command tells its user what it does. Either func may
// be nil: that kind of message is then not shown.
type Reporter struct {
	Progress func(format string, args ...any) // a step
	// Note tells the user something that is the answer rather than a
	// step (down of a lab that is not here), so the caller shows it even
	// where it hides progress.
	Note func(format string, args ...any)
}

// Progressf reports a step to Progress, if set.
func (r Reporter) Progressf(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(format, args...)
	}
}

// notef tells the user an answer through Note, if set.
func (r Reporter) notef(format string, args ...any) {
	if r.Note != nil {
		r.Note(format, args...)
	}
}

// Daemons says where a real host's daemons are; an emulated lab runs its
// own per host and ignores it.
type Daemons struct {
	// OVSDB is the OVSDB endpoint: "" is the one up recorded, else
	// $OVS_RUNDIR/db.sock, else the packaged default (ovsdbEndpoint).
	OVSDB string
}

// UpOptions are the knobs of up, and of preflight.
type UpOptions struct {
	Reporter
	Daemons
	Emulate bool   // build the whole lab on this machine
	Host    string // real mode: which host this machine is
	Name    string // bring the lab up as a copy under this name (Topology.Rename)
	NoWait  bool   // fail instead of waiting for another up/down of the lab
	Jobs    int    // containers created, started and plumbed at once; 0 = DefaultJobs()
	Pool    *Pool  // shared with other Ups running at once (Jobs is then the pool's); nil: this Up's own
	// Listed, if set, is the machine's containers as listed from before
	// this up began (ListContainers), maybe shared with other Ups running
	// at once (a class's copies): the up checks its names against it and
	// finds its own containers there instead of listing every container
	// on the machine, which made a class's lists grow with the square of
	// its copies. An up that waits for another run of its lab lists anew.
	Listed *ContainerList
	// Done, if set, hears what a successful up did: built the lab, or
	// what it changed, or nothing.
	Done func(UpReport)
}

func (o UpOptions) jobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return DefaultJobs()
}

// DownOptions are the knobs of down.
type DownOptions struct {
	Reporter
	Daemons
	NoWait bool // fail instead of waiting for another up/down of the lab
}

// StatusOptions are the knobs of status.
type StatusOptions struct {
	Reporter
	Daemons
	// Docker, when set, is Docker's view read once for many labs
	// (ReadDockerView): the status takes the lab's containers from it
	// and asks Docker nothing.
	Docker *DockerView
	// NoRules leaves ip_forward and the NAT rules unread (HostStatus's
	// IPForward and NAT stay empty): check grades what they do with its
	// probes, and reading them runs iptables twice per host.
	NoRules bool
}

// StageOptions are the knobs of stage (EnterStage).
type StageOptions struct {
	Reporter
	Daemons
	NoWait bool // fail instead of waiting for another command on the lab
	Jobs   int  // as UpOptions.Jobs, for the containers a stage starts again
}

// ResetOptions are the knobs of reset.
type ResetOptions struct {
	Reporter
	Daemons
	NoWait bool   // fail instead of waiting for another command on the lab
	Jobs   int    // as UpOptions.Jobs
	Stage  string // the stage to reset to; "" = the current one
}

// DefaultJobs is how many containers are worked on at once unless told:
// dockerd, containerd and runc spend much of a container's start waiting,
// so a few more than the cores keeps them busy without crowding them.
func DefaultJobs() int { return max(4, 2*runtime.NumCPU()) }
