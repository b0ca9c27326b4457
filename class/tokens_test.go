package class

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// useRoot points the registry at a fresh directory for one test.
func useRoot(t *testing.T) string {
	t.Helper()
	old := Root
	Root = filepath.Join(t.TempDir(), "lib", "classes")
	t.Cleanup(func() { Root = old })
	return Root
}

// testClass is a class of the reference lab, as Load would give it.
func testClass(t *testing.T, name string, students ...string) *Class {
	t.Helper()
	data, _ := catalog.Get("l3-vxlan")
	src, err := labs.FromData(topology.BuiltinPrefix+"l3-vxlan", data)
	if err != nil {
		t.Fatal(err)
	}
	return &Class{Name: name, Lab: src, Students: students}
}

// tokenOf is the token in a URL.
func tokenOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get("token")
}

func mustURLs(t *testing.T, c *Class, base string) *URLs {
	t.Helper()
	u, err := URLsOf(c, base)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTokensCan(t *testing.T) {
	useRoot(t)
	c := testClass(t, "net101", "alice", "bob")
	u := mustURLs(t, c, "http://10.0.0.5:7780/")
	if !strings.HasPrefix(u.Teacher, "http://10.0.0.5:7780/?token=") || len(u.Students) != 2 {
		t.Fatalf("URLs %+v", u)
	}
	tok := tokenOf(t, u.Teacher)
	if len(tok) < 22 { // 128 bits in base64
		t.Errorf("teacher token %q is shorter than 128 bits", tok)
	}
	id, err := Verify(tok)
	if err != nil || id.Role != RoleTeacher || id.Class != "net101" || id.Student != "" {
		t.Fatalf("teacher token: %+v, %v", id, err)
	}
	for _, lab := range []string{"net101-alice", "net101-bob"} {
		if !id.May(lab) {
			t.Errorf("the teacher may not use %s", lab)
		}
	}
	id, err = Verify(tokenOf(t, u.Students["bob"]))
	if err != nil || id.Role != RoleStudent || id.Class != "net101" || id.Student != "bob" || id.Lab != "net101-bob" || !id.May("net101-bob") {
		t.Fatalf("bob's token: %+v, %v", id, err)
	}
	// Stable: asked again, and after the class is recorded again (as
	// class up does), the URLs are the same.
	if err := register(c); err != nil {
		t.Fatal(err)
	}
	if again := mustURLs(t, c, "http://10.0.0.5:7780"); again.Teacher != u.Teacher || again.Students["alice"] != u.Students["alice"] {
		t.Errorf("URLs changed: %+v then %+v", u, again)
	}
}

func TestTokensCannot(t *testing.T) {
	useRoot(t)
	a := testClass(t, "net101", "alice", "bob")
	b := testClass(t, "net102", "alice", "carol")
	ua, ub := mustURLs(t, a, DefaultBase), mustURLs(t, b, DefaultBase)
	alice := tokenOf(t, ua.Students["alice"])

	t.Run("a student reaches only their own copy", func(t *testing.T) {
		id, err := Verify(alice)
		if err != nil {
			t.Fatal(err)
		}
		for _, lab := range []string{"net101-bob", "net102-alice", "net102-carol", "net101", "", "net101-alice-x"} {
			if id.May(lab) {
				t.Errorf("alice of net101 may use %q", lab)
			}
		}
		if got := id.Labs(); len(got) != 1 || got[0] != "net101-alice" {
			t.Errorf("alice's labs: %v", got)
		}
	})
	t.Run("a teacher reaches only their own class", func(t *testing.T) {
		id, err := Verify(tokenOf(t, ua.Teacher))
		if err != nil {
			t.Fatal(err)
		}
		if id.May("net102-alice") || id.May("net102-carol") {
			t.Error("net101's teacher may use net102's copies")
		}
	})
	t.Run("the same student name in two classes has two tokens", func(t *testing.T) {
		other := tokenOf(t, ub.Students["alice"])
		if other == alice {
			t.Fatal("alice has one token for two classes")
		}
		id, err := Verify(other)
		if err != nil || id.Lab != "net102-alice" {
			t.Errorf("net102's alice: %+v, %v", id, err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		bad := []string{"", alice[:len(alice)-1], alice[1:], alice + "A", alice + "=", " " + alice, strings.ToUpper(alice),
			strings.Repeat("A", len(alice)), "../../etc/shadow", alice[:22]}
		// Every character changed in turn, the last one to each other
		// letter: base64's spare bits must not make a second spelling.
		for i := range alice {
			for _, r := range "AQgw" {
				if alice[i] != byte(r) {
					bad = append(bad, alice[:i]+string(r)+alice[i+1:])
				}
			}
		}
		for _, b := range bad {
			if id, err := Verify(b); !errors.Is(err, ErrBadToken) {
				t.Errorf("Verify(%q) = %+v, %v; want ErrBadToken", b, id, err)
			}
		}
	})
	t.Run("a class no longer here", func(t *testing.T) {
		carol := tokenOf(t, ub.Students["carol"])
		if err := Forget("net102"); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(carol); !errors.Is(err, ErrBadToken) {
			t.Errorf("a forgotten class's token: %v", err)
		}
		if _, err := Verify(tokenOf(t, ub.Teacher)); !errors.Is(err, ErrBadToken) {
			t.Errorf("a forgotten class's teacher token: %v", err)
		}
		if _, err := Verify(alice); err != nil {
			t.Errorf("forgetting net102 broke net101: %v", err)
		}
	})
	t.Run("a student taken out of the class", func(t *testing.T) {
		bob := tokenOf(t, ua.Students["bob"])
		if err := register(testClass(t, "net101", "alice")); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(bob); !errors.Is(err, ErrBadToken) {
			t.Errorf("bob, out of the class: %v", err)
		}
		id, err := Verify(tokenOf(t, ua.Teacher))
		if err != nil || id.May("net101-bob") {
			t.Errorf("the teacher still reaches bob's copy (%v)", err)
		}
	})
	t.Run("rotated", func(t *testing.T) {
		if err := Rotate("net101"); err != nil {
			t.Fatal(err)
		}
		for _, old := range []string{alice, tokenOf(t, ua.Teacher)} {
			if _, err := Verify(old); !errors.Is(err, ErrBadToken) {
				t.Errorf("a token from before Rotate: %v", err)
			}
		}
		fresh := mustURLs(t, testClass(t, "net101", "alice"), DefaultBase)
		if fresh.Students["alice"] == ua.Students["alice"] {
			t.Error("Rotate kept alice's URL")
		}
		if id, err := Verify(tokenOf(t, fresh.Students["alice"])); err != nil || id.Lab != "net101-alice" {
			t.Errorf("a token from after Rotate: %+v, %v", id, err)
		}
	})
}

func TestRegistryFiles(t *testing.T) {
	root := useRoot(t)
	c := testClass(t, "net101", "alice")
	c.File = "/somewhere/net101.yaml"
	if err := register(c); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{
		root:                          0o700 | os.ModeDir,
		filepath.Join(root, "net101"): 0o700 | os.ModeDir,
		filepath.Join(root, "net101", recordFile): 0o600,
		filepath.Join(root, "net101", secretFile): 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	got, err := Get("net101")
	if err != nil || got.Name != "net101" || got.File != c.File || got.Lab.Name != "builtin:l3-vxlan" || len(got.Students) != 1 || got.Lab.Topo.Name != "l3-vxlan" {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	if _, err := Get("net999"); !errors.Is(err, ErrNoClass) {
		t.Errorf("Get of a class not here: %v", err)
	}
	if _, err := Get("../etc"); err == nil || !errors.Is(err, labs.ErrUsage) {
		t.Errorf("Get(../etc): %v", err)
	}
	list, err := List()
	if err != nil || len(list) != 1 {
		t.Errorf("List: %d classes, %v", len(list), err)
	}

	t.Run("secret others can read", func(t *testing.T) {
		p := filepath.Join(root, "net101", secretFile)
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(p, 0o600)
		if _, err := URLsOf(c, DefaultBase); err == nil || !strings.Contains(err.Error(), "--rotate") {
			t.Errorf("URLs from a secret others could read: %v", err)
		}
	})
	t.Run("a symlink on the way", func(t *testing.T) {
		real := filepath.Join(t.TempDir(), "real")
		if err := os.MkdirAll(real, 0o700); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		Root = filepath.Join(link, "classes")
		defer func() { Root = root }()
		if err := register(c); err == nil || !strings.Contains(err.Error(), "symlink") {
			t.Errorf("register through a symlink: %v", err)
		}
		if ents, _ := os.ReadDir(real); len(ents) != 0 {
			t.Errorf("the symlink's target got %v", ents)
		}
	})
	t.Run("a directory others can write", func(t *testing.T) {
		open := filepath.Join(t.TempDir(), "open")
		if err := os.MkdirAll(open, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(open, 0o777); err != nil {
			t.Fatal(err)
		}
		Root = filepath.Join(open, "classes")
		defer func() { Root = root }()
		if err := register(c); err == nil || !strings.Contains(err.Error(), "writable by others") {
			t.Errorf("register under a world-writable directory: %v", err)
		}
	})
	t.Run("a directory of another user's", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a directory away")
		}
		theirs := filepath.Join(t.TempDir(), "theirs")
		if err := os.MkdirAll(theirs, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		Root = filepath.Join(theirs, "classes")
		defer func() { Root = root }()
		if err := register(c); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("register under another user's directory: %v", err)
		}
	})
	t.Run("a symlink for a file", func(t *testing.T) {
		target := filepath.Join(t.TempDir(), "target")
		if err := os.WriteFile(target, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, "net101", recordFile)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if _, err := Get("net101"); err == nil {
			t.Error("Get read a record through a symlink")
		}
		if err := register(c); err != nil { // replaces the link, never writes through it
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(target); string(b) != "x" {
			t.Errorf("the symlink's target was written: %q", b)
		}
	})
	if err := Forget("net101"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "net101")); !os.IsNotExist(err) {
		t.Errorf("Forget left %v", err)
	}
}

func TestBase(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:7780", "https://lab.example.org/", "http://[::1]:80/ovslab"} {
		if _, err := checkBase(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:7780", "ftp://x", "http://", "http://u:p@x", "http://x/?a=1", "http://x/#f", "javascript:alert(1)"} {
		if _, err := checkBase(bad); !errors.Is(err, labs.ErrUsage) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}
