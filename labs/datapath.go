package labs

import (
	"fmt"
	"os"
	"os/exec"
	"sync"

	"github.com/ovslab/ovslab/topology"
)

// kernelModule is OVS's kernel datapath.
const kernelModule = "openvswitch"

// KernelDatapath reports whether this machine can run OVS's kernel
// datapath: the openvswitch module is loaded, or modprobe would load it.
// Emulation uses it then for hosts the file leaves open: it is what real
// hosts run.
func KernelDatapath() bool {
	return moduleLoaded() || moduleLoadable()
}

// moduleLoadable asks modprobe once per process: a class's copies each
// ask, and the answer is the machine's.
var moduleLoadable = sync.OnceValue(func() bool {
	// -n: only resolve the module and its dependencies, load nothing.
	return exec.Command(modprobe(), "-q", "-n", kernelModule).Run() == nil
})

func moduleLoaded() bool {
	_, err := os.Stat("/sys/module/" + kernelModule)
	return err == nil
}

// modprobe is the modprobe binary; /sbin is not on every root's PATH.
// Nothing in Go loads a kernel module with its dependencies, so the tool it is.
func modprobe() string {
	if p, err := exec.LookPath("modprobe"); err == nil {
		return p
	}
	return "/sbin/modprobe"
}

// checkDatapath makes sure the kernel datapath can work where p asks for
// it, loading the module if it is not yet: without it vswitchd accepts the
// bridges and then forwards nothing.
func checkDatapath(p *topology.HostPlan) error {
	if p.Datapath != topology.DatapathSystem || moduleLoaded() {
		return nil
	}
	if out, err := exec.Command(modprobe(), kernelModule).CombinedOutput(); err != nil || !moduleLoaded() {
		return fmt.Errorf("host %s: the openvswitch kernel module is not loaded and modprobe could not load it (%s), so datapath system cannot work here; load it (modprobe openvswitch) or set hosts.%s.datapath: netdev (OVS in userspace)",
			p.Host, firstLine(out, err), p.Host)
	}
	return nil
}

func firstLine(out []byte, err error) string {
	for i, c := range out {
		if c == '\n' {
			out = out[:i]
			break
		}
	}
	if len(out) > 0 {
		return string(out)
	}
	if err != nil {
		return err.Error()
	}
	return "no error, yet no module"
}

// emulationDatapath is the choice for hosts the file leaves open: the one
// recorded when the lab is already up here (switching a running lab's
// datapath would strand br-phy or the moved address), else what this
// machine can run. The state is read without the lock: it only informs the
// plan, and Up rechecks the mode under the lock.
func emulationDatapath(lab string) bool {
	if st, err := LoadState(lab); err == nil && st.Mode == ModeEmulated {
		return st.KernelDatapath
	}
	return KernelDatapath()
}
