package containers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"golang.org/x/sync/errgroup"
)

// LabLabel is the label key ovslab marks its containers with; its value is
// the lab name.
const LabLabel = "ovslab.lab"

// SpecLabel holds a hash of the Spec a container was created from, so
// Ensure can tell "unchanged" from "changed" without comparing fields that
// Docker fills in from the image (default command, image labels).
const SpecLabel = "ovslab.spec"

// ErrNotOwned is wrapped when a container with the wanted name exists but
// does not carry this lab's ownership label: it is never taken over.
var ErrNotOwned = errors.New("not owned by this lab")

// Spec is the desired state of one container.
type Spec struct {
	Name     string            // Docker container name
	Image    string            // must already exist locally (EnsureImage)
	Command  []string          // nil = the image's default command
	Labels   map[string]string // must include the ownership label
	Hostname string            // "" = Docker's default (the short ID)
	CapAdd   []string          // capabilities beyond Docker's default set, e.g. NET_ADMIN
	// Listed is what a list (Listed) just found under Name, so Ensure
	// need not look the name up again; nil = look it up.
	Listed *Listed
	// PIDHint is the PID a previous run saw for this container, 0 if
	// none. With Listed it lets Ensure recognise a container that is as
	// wanted without inspecting it: the hint is used only when that
	// process still lives in the listed container's cgroup.
	PIDHint int
}

// Listed is one container as a list reports it: all Ensure compares,
// except its PID.
type Listed struct {
	ID          string
	ImageID     string
	State       string // created, running, exited, paused, ...
	NetworkMode string
	Labels      map[string]string
}

// Info is one container as List reports it.
type Info struct {
	Name        string
	ID          string
	Image       string // the image as named at create time
	State       string // created, running, exited, paused, ...
	Pid         int    // 0 unless running
	Labels      map[string]string
	NetworkMode string
}

// Ensure converges one container to s and returns its ID and the PID of
// its running process, whose netns Plumb wires into.
//
// ownerLabel is the ownership label key (LabLabel) whose value s.Labels
// must carry, or "key=value" which is added to the labels if missing. A
// container of that name without the same owner value is left untouched
// and an error wrapping ErrNotOwned is returned. An owned container whose
// image (name, or the image that name now points to), command, labels,
// hostname or network mode differ is recreated; a stopped one is started;
// an identical running one is not touched. The image must exist already
// (EnsureImage): Ensure checks that before removing anything.
//
// A command that exits immediately may still be running when Ensure
// returns its PID; Plumb then reports the missing netns.
func (c *Client) Ensure(ctx context.Context, s Spec, ownerLabel string) (id string, pid int, err error) {
	id, pid, held, err := c.ensure(ctx, s, ownerLabel)
	held.Close()
	return id, pid, err
}

// EnsureProcess is Ensure holding the container's main process, for the
// steps that follow (Link.Process, Process.SetHosts): a container found
// as wanted is checked once, not again by each step. The caller closes
// the Process.
func (c *Client) EnsureProcess(ctx context.Context, s Spec, ownerLabel string) (*Process, error) {
	id, pid, held, err := c.ensure(ctx, s, ownerLabel)
	if err != nil || held != nil {
		return held, err
	}
	return OpenProcess(id, pid)
}

// ensure is Ensure, also returning the main process if it was held to
// check the PID hint.
func (c *Client) ensure(ctx context.Context, s Spec, ownerLabel string) (id string, pid int, held *Process, err error) {
	key, val, labels, err := ownership(s, ownerLabel)
	if err != nil {
		return "", 0, nil, fmt.Errorf("container %q: %w", s.Name, err)
	}
	s.Labels = labels
	want := specHash(s)
	// Check the image before touching an existing container, so a missing
	// image does not turn into a removed container that cannot be remade.
	imgID, err := c.imageID(ctx, s.Image)
	if err != nil {
		return "", 0, nil, fmt.Errorf("container %q: %w", s.Name, err)
	}

	if l := s.Listed; l != nil && l.State == "running" && l.NetworkMode == "none" && l.ImageID == imgID &&
		l.Labels[key] == val && l.Labels[SpecLabel] == want && s.PIDHint > 0 {
		if p, err := OpenProcess(l.ID, s.PIDHint); err == nil {
			return l.ID, s.PIDHint, p, nil // as wanted already: nothing to ask Docker
		}
	}
	var knownID string
	if s.Listed != nil {
		knownID = s.Listed.ID
	}
	cur, found, err := c.inspectKnown(ctx, s.Name, knownID)
	if err != nil {
		return "", 0, nil, err
	}
	if found {
		if err := ownerError(cur, s.Name, key, val); err != nil {
			return "", 0, nil, err
		}
		stale := cur.Config.Labels[SpecLabel] != want ||
			cur.HostConfig == nil || string(cur.HostConfig.NetworkMode) != "none" ||
			cur.Image != imgID ||
			cur.State == nil || cur.State.Dead
		if stale {
			if err := c.Remove(ctx, cur.ID); err != nil {
				return "", 0, nil, fmt.Errorf("container %q: %w", s.Name, err)
			}
			found = false
		}
	}
	if !found {
		id, err = c.create(ctx, s, want)
		if err != nil {
			return "", 0, nil, err
		}
	} else {
		id = cur.ID
		if st := cur.State; st != nil && st.Running && !st.Paused && !st.Restarting && st.Pid > 0 {
			return id, st.Pid, nil, nil // as wanted already: nothing to ask Docker
		}
	}
	id, pid, err = c.start(ctx, s.Name, id)
	return id, pid, nil, err
}

// imageID resolves an image name to its ID, once per Client.
func (c *Client) imageID(ctx context.Context, name string) (string, error) {
	if id, ok := c.imageIDs.Load(name); ok {
		return id.(string), nil
	}
	img, err := c.api.ImageInspect(ctx, name)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", fmt.Errorf("image %q is not on this machine (EnsureImage first): %w", name, ErrNoImage)
		}
		return "", fmt.Errorf("inspect image %q: %w", name, err)
	}
	c.imageIDs.Store(name, img.ID)
	return img.ID, nil
}

// ownership works out the owner key and value and returns the labels to
// create with (a copy: the caller's map is never modified).
func ownership(s Spec, ownerLabel string) (key, val string, labels map[string]string, err error) {
	key, val, hasVal := strings.Cut(ownerLabel, "=")
	if key == "" {
		return "", "", nil, errors.New("empty ownership label")
	}
	labels = maps.Clone(s.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	got, ok := labels[key]
	switch {
	case hasVal && ok && got != val:
		return "", "", nil, fmt.Errorf("label %s=%q contradicts ownership label %s", key, got, ownerLabel)
	case hasVal:
		labels[key] = val
	case !ok || got == "":
		return "", "", nil, fmt.Errorf("labels lack the ownership label %s", key)
	default:
		val = got
	}
	delete(labels, SpecLabel)
	return key, val, labels, nil
}

// specHash fingerprints everything Ensure compares. json.Marshal sorts map
// keys, so equal specs hash equally.
func specHash(s Spec) string {
	b, _ := json.Marshal(struct {
		Image    string
		Command  []string
		Labels   map[string]string
		Hostname string
		CapAdd   []string `json:",omitempty"` // absent: the hash of a container made before CapAdd existed
	}{s.Image, s.Command, s.Labels, s.Hostname, s.CapAdd})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// inspect looks a container up by its exact name. Docker resolves a name
// it does not know as an ID prefix, so asking it for "c7" can return
// another container, or fail with "Multiple IDs found"; lookup matches the
// name itself and the inspect goes by the ID it found.
func (c *Client) inspect(ctx context.Context, name string) (container.InspectResponse, bool, error) {
	id, found, err := c.lookup(ctx, name)
	if err != nil || !found {
		return container.InspectResponse{}, false, err
	}
	cur, err := c.api.ContainerInspect(ctx, id)
	switch {
	case cerrdefs.IsNotFound(err):
		return cur, false, nil // removed since the lookup
	case err != nil:
		return cur, false, fmt.Errorf("inspect container %q: %w", name, err)
	case cur.Config == nil:
		// Never seen from a real daemon, but Ensure must not panic on it.
		cur.Config = &container.Config{}
	}
	return cur, true, nil
}

// lookup returns the ID of the container called exactly name, in any
// state. Docker's name filter is a regular expression over names with
// their leading slash; anchored and quoted it matches one name, and the
// loop below makes sure of it.
func (c *Client) lookup(ctx context.Context, name string) (string, bool, error) {
	args := filters.NewArgs(filters.Arg("name", "^/"+regexp.QuoteMeta(name)+"$"))
	sums, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return "", false, fmt.Errorf("look up container %q: %w", name, err)
	}
	for _, sum := range sums {
		if slices.Contains(sum.Names, "/"+name) {
			return sum.ID, true, nil
		}
	}
	return "", false, nil
}

func (c *Client) create(ctx context.Context, s Spec, hash string) (string, error) {
	labels := maps.Clone(s.Labels)
	labels[SpecLabel] = hash
	cfg := &container.Config{
		Image:    s.Image,
		Cmd:      s.Command,
		Labels:   labels,
		Hostname: s.Hostname,
	}
	// NetworkMode none: Docker must not add its own interface or routes;
	// Plumb owns the container's networking. No restart policy: a
	// restarted container gets a new netns without our interfaces.
	host := &container.HostConfig{
		NetworkMode:   "none",
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled},
		CapAdd:        s.CapAdd,
	}
	resp, err := c.api.ContainerCreate(ctx, cfg, host, s.Name)
	if err != nil {
		return "", fmt.Errorf("create container %q: %w", s.Name, err)
	}
	return resp.ID, nil
}

// Listed returns name → summary of the containers, in any state, that
// carry every given label: one list call, without inspecting each
// container, so a lab of hundreds can be matched against its plan in one
// round trip.
func (c *Client) Listed(ctx context.Context, labels map[string]string) (map[string]*Listed, error) {
	args := filters.NewArgs()
	for k, v := range labels {
		args.Add("label", k+"="+v)
	}
	sums, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make(map[string]*Listed, len(sums))
	for _, sum := range sums {
		l := &Listed{ID: sum.ID, ImageID: sum.ImageID, State: string(sum.State), NetworkMode: sum.HostConfig.NetworkMode, Labels: sum.Labels}
		for _, n := range sum.Names {
			out[strings.TrimPrefix(n, "/")] = l
		}
	}
	return out, nil
}

// inspectKnown inspects the container called name by the ID a list just
// found for it, falling back to a lookup by name when there is none or it
// has changed since.
func (c *Client) inspectKnown(ctx context.Context, name, id string) (container.InspectResponse, bool, error) {
	if id != "" {
		cur, err := c.api.ContainerInspect(ctx, id)
		if err == nil && strings.TrimPrefix(cur.Name, "/") == name && cur.Config != nil {
			return cur, true, nil
		}
	}
	return c.inspect(ctx, name)
}

// listParallel bounds the inspections List has in flight.
const listParallel = 8

// List returns the containers, in any state, that carry every given label,
// sorted by name. An empty value matches any value of its key; an empty
// map matches every container on the machine.
func (c *Client) List(ctx context.Context, labels map[string]string) ([]Info, error) {
	return c.list(ctx, labelArgs(labels), nil)
}

// ListHinted is List taking a running container's PID from pids (Docker
// name → PID, as the last up saw them) where that PID is still the
// container's main process (OpenProcess): only the others are inspected.
// At a lab of a thousand containers the inspections were most of a
// check's time before its first probe.
func (c *Client) ListHinted(ctx context.Context, labels map[string]string, pids map[string]int) ([]Info, error) {
	return c.list(ctx, labelArgs(labels), pids)
}

// ListPrefixed is List of the containers whose names also start with
// prefix: Docker matches every container of the machine against a
// list's filters, so many labs whose names share a prefix (a class's
// copies) are cheaper listed at once than one by one.
func (c *Client) ListPrefixed(ctx context.Context, prefix string, labels map[string]string) ([]Info, error) {
	args := labelArgs(labels)
	args.Add("name", "^/"+regexp.QuoteMeta(prefix))
	return c.list(ctx, args, nil)
}

// hinted is the Info of a running container whose PID hint is still its
// main process, nil otherwise.
func hinted(sum container.Summary, pids map[string]int) *Info {
	if len(sum.Names) != 1 || sum.State != container.StateRunning {
		return nil
	}
	name := strings.TrimPrefix(sum.Names[0], "/")
	pid := pids[name]
	if pid <= 0 {
		return nil
	}
	p, err := OpenProcess(sum.ID, pid)
	if err != nil {
		return nil
	}
	p.Close()
	return &Info{Name: name, ID: sum.ID, Image: sum.Image, State: string(sum.State), Pid: pid, Labels: sum.Labels, NetworkMode: sum.HostConfig.NetworkMode}
}

func labelArgs(labels map[string]string) filters.Args {
	args := filters.NewArgs()
	for k, v := range labels {
		if v == "" {
			args.Add("label", k)
		} else {
			args.Add("label", k+"="+v)
		}
	}
	return args
}

func (c *Client) list(ctx context.Context, args filters.Args, pids map[string]int) ([]Info, error) {
	sums, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	// The summary has no PID: inspect each one not hinted, a few at a
	// time, since a lab of hundreds of containers is listed on every up
	// and status.
	found := make([]*Info, len(sums))
	var g errgroup.Group
	g.SetLimit(listParallel)
	for i, sum := range sums {
		if found[i] = hinted(sum, pids); found[i] != nil {
			continue
		}
		g.Go(func() error {
			cur, err := c.api.ContainerInspect(ctx, sum.ID)
			if cerrdefs.IsNotFound(err) {
				return nil // removed since the list
			}
			if err != nil {
				return fmt.Errorf("inspect container %s: %w", sum.ID, err)
			}
			found[i] = &Info{
				Name:        strings.TrimPrefix(cur.Name, "/"),
				ID:          cur.ID,
				Image:       cur.Config.Image,
				State:       cur.State.Status,
				Pid:         cur.State.Pid,
				Labels:      cur.Config.Labels,
				NetworkMode: string(cur.HostConfig.NetworkMode),
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(sums))
	for _, f := range found {
		if f != nil {
			out = append(out, *f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove force-removes the container with the given full ID (as List and
// Ensure return it), with its anonymous volumes. A container that does not
// exist is success. It takes no name: Docker would match a short one
// against ID prefixes and could remove another container. It does not
// check ownership: callers remove what List found under their label.
func (c *Client) Remove(ctx context.Context, id string) error {
	err := c.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// CheckOwner reports, without changing anything, whether a container
// called name could be converged for the owner label key=val: it must not
// exist, or carry that label. The error wraps ErrNotOwned.
func (c *Client) CheckOwner(ctx context.Context, name, key, val string) error {
	cur, found, err := c.inspect(ctx, name)
	if err != nil || !found {
		return err
	}
	return ownerError(cur, name, key, val)
}

// CheckOwners is CheckOwner for many names, against all, one list of the
// machine's containers (Listed with no labels): a lab of hundreds of
// containers is checked on every up. Names match exactly, never as an ID
// prefix.
func CheckOwners(all map[string]*Listed, names []string, key, val string) error {
	var errs []error
	for _, n := range names {
		l := all[n]
		if l == nil {
			continue
		}
		cur := container.InspectResponse{Config: &container.Config{Labels: l.Labels}}
		if err := ownerError(cur, n, key, val); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ownerError is nil when cur carries the owner label key=val.
func ownerError(cur container.InspectResponse, name, key, val string) error {
	if got, ok := cur.Config.Labels[key]; !ok || got != val {
		return &NotOwnedError{Name: name, Key: key, Owner: got, Want: val}
	}
	return nil
}

// NotOwnedError is a container that has a name the caller wants, but
// another owner's label or none. It wraps ErrNotOwned; the caller, who
// knows what owners are, says how to clear it.
type NotOwnedError struct {
	Name  string // the container's name
	Key   string // the owner label's key
	Owner string // the label's value on the container, "" when it has none
	Want  string // the value the caller wanted
}

func (e *NotOwnedError) Error() string {
	what := "has no " + e.Key + " label"
	if e.Owner != "" {
		what = fmt.Sprintf("belongs to %s=%q", e.Key, e.Owner)
	}
	return fmt.Sprintf("container %q %s, not %q; rename or remove it by hand: %v", e.Name, what, e.Want, ErrNotOwned)
}

// Unwrap makes the error match ErrNotOwned.
func (e *NotOwnedError) Unwrap() error { return ErrNotOwned }
