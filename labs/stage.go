package labs

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
)

// An exercise's stages on a lab that is up. A lab starts in its file's
// first stage; EnterStage moves it to another, Reset back to the start of
// one. Both undo what the current stage changed, converge the lab to the
// file as up does, and apply the stage's faults on top; Reset also makes
// the containers anew from their images. They touch no other lab.

// StageInfo is a lab's exercise as this machine holds it.
type StageInfo struct {
	Lab     string `json:"lab"`
	Current string `json:"current"` // "" for a lab without stages
	Text    string `json:"text,omitempty"`
	// Applied is true once every fault of the current stage this
	// machine applies is applied (false while a command enters it, or
	// after one was cut short: the next up finishes it).
	Applied bool           `json:"applied"`
	Stages  []StageSummary `json:"stages"`
	// Changes are what the current stage's faults changed here.
	Changes []FaultChange `json:"changes,omitempty"`
}

// StageSummary is one stage of the file.
type StageSummary struct {
	Name   string   `json:"name"`
	Text   string   `json:"text"`
	Faults []string `json:"faults,omitempty"` // as topology.Fault.String reads them
	Expect int      `json:"expect"`           // how many expect: entries the stage adds
}

// FaultChange is one change a fault made on this machine.
type FaultChange struct {
	Fault   string `json:"fault"` // kind and on:, as the file writes them
	Host    string `json:"host"`  // "router" for the router's side of a link
	Object  string `json:"object,omitempty"`
	Was     string `json:"was,omitempty"`
	Set     string `json:"set,omitempty"`
	Applied bool   `json:"applied"`
}

// StageOf reads the exercise of lab: its stages and where it is.
func StageOf(lab string) (*StageInfo, error) {
	st, src, err := Load(lab)
	if err != nil {
		return nil, err
	}
	return stageInfo(st, src.Topo), nil
}

func stageInfo(st *State, t *topology.Topology) *StageInfo {
	info := &StageInfo{Lab: st.Lab, Current: st.Stage, Applied: st.StageApplied, Stages: []StageSummary{}}
	for _, s := range t.Stages {
		sum := StageSummary{Name: s.Name, Text: s.Text, Expect: len(s.Expect)}
		for _, f := range s.Faults {
			sum.Faults = append(sum.Faults, f.String())
		}
		info.Stages = append(info.Stages, sum)
		if s.Name == st.Stage {
			info.Text = s.Text
		}
	}
	for _, f := range st.Faults {
		c := FaultChange{Fault: f.Kind + " on " + f.On, Host: f.Host, Object: f.Link, Was: f.Was, Set: f.Set, Applied: f.Applied}
		if f.Router {
			c.Host, c.Object = routerNode, f.Host
		}
		if c.Object == "" {
			c.Object = f.Docker
		}
		info.Changes = append(info.Changes, c)
	}
	return info
}

// EnterStage moves lab to the stage called name, or to the one after the
// current with topology.NextStage.
func EnterStage(ctx context.Context, lab, name string, o StageOptions) (*StageInfo, error) {
	pick := func(t *topology.Topology, cur string) (string, error) {
		if name != topology.NextStage {
			return name, nil
		}
		_, i, _ := t.StageByName(cur)
		if i+1 >= len(t.Stages) {
			return "", Usagef("lab %s is at its last stage, %s: there is no next one (stages: %v)", lab, cur, t.StageNames())
		}
		return t.Stages[i+1].Name, nil
	}
	return transition(ctx, lab, stageRun{o.Reporter, o.Daemons, o.NoWait, o.Jobs}, pick, false)
}

// Reset takes lab back to the start of its current stage, or of
// o.Stage: containers made anew from their images, everything converged
// to the file, the stage's faults applied again.
func Reset(ctx context.Context, lab string, o ResetOptions) (*StageInfo, error) {
	pick := func(_ *topology.Topology, cur string) (string, error) {
		if o.Stage != "" {
			return o.Stage, nil
		}
		return cur, nil
	}
	return transition(ctx, lab, stageRun{o.Reporter, o.Daemons, o.NoWait, o.Jobs}, pick, true)
}

// stageRun is what EnterStage and Reset share of their options.
type stageRun struct {
	Reporter
	Daemons
	noWait bool
	jobs   int
}

// transition undoes the current stage's faults, optionally makes the
// containers anew, converges the lab to its file and enters the stage
// pick names. The new stage is recorded before anything changes: a run
// cut short is finished by the next up (or stage, or reset).
func transition(ctx context.Context, lab string, o stageRun, pick func(*topology.Topology, string) (string, error), recreate bool) (*StageInfo, error) {
	if _, err := Dir(lab); err != nil {
		return nil, Usagef("%v", err)
	}
	if _, err := LoadState(lab); err != nil {
		return nil, usageIfMissing(err)
	}
	lock, err := acquire(ctx, lab, o.noWait, func() { o.Progressf("waiting for another ovslab command on %s", lab) })
	if err != nil {
		return nil, err
	}
	defer lock.release()
	st, src, err := Load(lab)
	if err != nil {
		return nil, err
	}
	t := src.Topo
	if len(t.Stages) == 0 {
		return nil, Usagef("lab %s has no stages: %s defines none", lab, st.Source)
	}
	name, err := pick(t, st.Stage)
	if err != nil {
		return nil, err
	}
	stage, _, ok := t.StageByName(name)
	if !ok {
		return nil, Usagef("lab %s has no stage %q; its stages are: %v", lab, name, t.StageNames())
	}
	plans := map[string]*topology.HostPlan{}
	for _, h := range st.Hosts {
		p, err := t.Plan(h)
		if err != nil {
			return nil, err
		}
		plans[h] = p
	}
	if err := checkStageNetem(stage); err != nil {
		return nil, err
	}
	dc, err := connectDocker(ctx, t)
	if err != nil {
		return nil, err
	}
	if dc != nil {
		defer dc.Close()
	}
	j := newJournal(st)
	j.takePIDs()
	if err := leaveStage(j, name); err != nil {
		return nil, err
	}
	if err := clearHandMade(ctx, j, dc, recreate, o.Reporter); err != nil {
		return nil, err
	}
	uo := UpOptions{Reporter: o.Reporter, Daemons: o.Daemons, Emulate: st.Mode == ModeEmulated, Jobs: o.jobs}
	// As up: the neighbour tables get room once, by the first host
	// that changes.
	need := neighNeed(t, func(h string) bool { _, ok := plans[h]; return ok })
	raise := sync.OnceValue(func() error {
		ml, err := lockMachine(ctx)
		if err != nil {
			return err
		}
		defer ml.release()
		return raiseNeighLimits(j.st.Lab, nsutil.Own(), need, o.Progressf)
	})
	if st.Mode == ModeEmulated {
		err = upEmulated(ctx, j, t, plans, dc, nil, nil, uo.pool(), raise, uo)
	} else {
		err = upReal(ctx, j, plans[st.Hosts[0]], dc, nil, uo.pool(), raise, uo)
	}
	if err == nil {
		o.Progressf("stage %s: faults", name)
		fe := faultEnv{Reporter: o.Reporter, j: j, t: t, plans: plans, dc: dc, ovsdb: o.OVSDB}
		err = fe.applyStage(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (run ovslab up %s, or this command again, to finish)", err, lab)
	}
	if err := j.save(func(st *State) { st.Complete = true }); err != nil {
		return nil, err
	}
	return stageInfo(j.st, t), nil
}

// leaveStage records that the lab is now in stage next, none of whose
// faults is applied yet, and stops the flaps of the stage it leaves; the
// converge that follows puts back everything else its faults changed.
// A DROP goes first, while its record stays (a run cut short leaves it
// recorded as gone, which up keeps so); then the new stage is recorded;
// then the flaps stop, which a flap no longer recorded does by itself
// too: nothing of the old stage outlives a run cut short.
func leaveStage(j *journal, next string) error {
	old := j.holds()
	for _, f := range old {
		if f.Kind == topology.FaultDrop && f.Rule != nil {
			if err := nat.Remove(j.st.hostLocation(f.Host, "").netnsPath(), j.st.Lab, []nat.Rule{*f.Rule}); err != nil {
				return fmt.Errorf("host %s: %w", f.Host, err)
			}
		}
	}
	err := j.save(func(st *State) {
		st.Stage, st.StageApplied, st.Faults, st.Complete = next, false, nil, false
	})
	if err != nil {
		return err
	}
	return stopFlappers(old)
}

// clearHandMade removes what a converge would leave: on an emulated host
// the iptables rules a student added by hand (the host's namespace is the
// lab's own; a real host's rules that are not the lab's are never
// touched), and for reset (recreate) the lab's containers, which it
// makes anew from their images.
func clearHandMade(ctx context.Context, j *journal, dc *containers.Client, recreate bool, r Reporter) error {
	for _, h := range j.st.Hosts {
		if dc != nil && recreate {
			r.Progressf("%s: containers, made anew from their images", h)
			if err := removeContainers(ctx, dc, map[string]string{labelLab: j.st.Lab, labelHost: h}); err != nil {
				return err
			}
		}
		if loc := j.st.hostLocation(h, ""); loc.emulated && nsutil.Exists(loc.netns) {
			if err := nat.DeleteForeign(loc.netnsPath(), j.st.Lab); err != nil {
				return fmt.Errorf("host %s: %w", h, err)
			}
		}
	}
	return nil
}

// stageOnUp decides, before up converges, which stage the lab is in: a
// lab up for the first time (or whose file just got stages) starts in
// the first; a lab keeps its stage, whose faults stay held; a lab whose
// stage the file no longer has leaves it for the first.
func stageOnUp(j *journal, t *topology.Topology, r Reporter) error {
	cur := j.stage()
	switch _, _, ok := t.StageByName(cur); {
	case len(t.Stages) == 0 && cur == "":
		return nil
	case len(t.Stages) == 0:
		r.notef("lab %s: the file has no stages any more: leaving stage %s", j.st.Lab, cur)
		return leaveStage(j, "")
	case cur == "":
		return leaveStage(j, t.Stages[0].Name)
	case !ok:
		r.notef("lab %s: the file has no stage %s any more: starting again at %s", j.st.Lab, cur, t.Stages[0].Name)
		return leaveStage(j, t.Stages[0].Name)
	}
	return nil
}

// applyStageOnUp applies, after up converged, the faults of the current
// stage that are not applied yet: all of them for a lab entering its
// first stage, the rest of them after a run that was cut short.
func applyStageOnUp(ctx context.Context, j *journal, t *topology.Topology, plans map[string]*topology.HostPlan, dc *containers.Client, o UpOptions) error {
	if j.stage() == "" {
		return nil
	}
	fe := faultEnv{Reporter: o.Reporter, j: j, t: t, plans: plans, dc: dc, ovsdb: o.OVSDB}
	return fe.applyStage(ctx)
}

// stageToEnter is the stage up will be in: the one recorded, if the file
// still has it, else the first (nil for a lab without stages).
func stageToEnter(t *topology.Topology) *topology.Stage {
	if len(t.Stages) == 0 {
		return nil
	}
	if st, err := LoadState(t.Name); err == nil {
		if s, _, ok := t.StageByName(st.Stage); ok {
			return s
		}
	}
	return &t.Stages[0]
}

// checkStageNetem refuses, before anything changes, a stage that impairs
// a link with delay, jitter or loss on a kernel without netem, as up
// refuses such a file.
func checkStageNetem(s *topology.Stage) error {
	if s == nil {
		return nil
	}
	i := slices.IndexFunc(s.Faults, func(f topology.Fault) bool { return f.Impair != nil && f.Impair.NeedsNetem() })
	if i < 0 {
		return nil
	}
	if err := containers.NetemAvailable(); err != nil {
		f := s.Faults[i]
		return fmt.Errorf("stage %s: %s asks for %s: %w; load it (modprobe sch_netem) or keep only rate, which needs tbf alone", s.Name, f.On, f.Impair, err)
	}
	return nil
}
