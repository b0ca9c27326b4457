package topology

import (
	"errors"
	"testing"
)

func TestRename(t *testing.T) {
	top := loadRef(t)
	if got := mustPlan(t, top, "host1").Containers[0].Docker; got != "doc1" {
		t.Errorf("Docker name in the lab itself = %q, want the node's name doc1", got)
	}
	if err := top.Rename("l3-vxlan"); err != nil || top.DockerName("doc1") != "doc1" {
		t.Errorf("renaming to its own name: %v, Docker name %q; want no change", err, top.DockerName("doc1"))
	}
	if err := top.Rename("student-7"); err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, top, "host2")
	if p.Lab != "student-7" {
		t.Errorf("plan's lab = %q, want student-7", p.Lab)
	}
	c := p.Containers[0]
	if c.Name != "doc3" || c.Docker != "student-7-doc3" {
		t.Errorf("container %q Docker %q, want node doc3 with Docker name student-7-doc3", c.Name, c.Docker)
	}
	// Addresses and interface names stay: the copy is the same lab.
	if got := c.Interfaces[0].HostVeth; got != "vdoc3" {
		t.Errorf("host veth %q, want vdoc3", got)
	}
	for _, bad := range []string{"", "Bad", "-a", "a_b", "abcdefghijklmnopqrstuvwxy"} {
		if err := top.Rename(bad); !errors.Is(err, ErrBadLabName) {
			t.Errorf("Rename(%q) = %v, want ErrBadLabName", bad, err)
		}
	}
	if top.Name != "student-7" {
		t.Errorf("a refused rename changed the name to %q", top.Name)
	}
}
