package class

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/labs"
)

// A token is the HMAC-SHA256 of who it stands for under the class's
// secret (32 random bytes, root-only in the class's directory): 256 bits
// no one can guess, the same after a restart or a reboot, and all
// revoked at once by a new secret (Rotate). Nothing stores the tokens.

// Role is what a token lets its holder do.
type Role string

// Roles.
const (
	RoleTeacher Role = "teacher" // every copy of the class
	RoleStudent Role = "student" // the student's own copy
)

// Identity is who a token stands for.
type Identity struct {
	Role    Role   `json:"role"`
	Class   string `json:"class"`
	Student string `json:"student,omitempty"` // a student's name
	Lab     string `json:"lab,omitempty"`     // a student's copy
	labs    []string
}

// Labs are the labs id may see and act on: a student's own copy, or
// every copy of the class for its teacher.
func (id Identity) Labs() []string { return slices.Clone(id.labs) }

// May reports whether id may see and act on lab.
func (id Identity) May(lab string) bool { return lab != "" && slices.Contains(id.labs, lab) }

// ErrBadToken is a token that stands for no one here: malformed, of a
// class not here, of a student no longer in it, or made before Rotate.
var ErrBadToken = errors.New("token not valid")

const secretSize = 32

func newSecret() []byte {
	b := make([]byte, secretSize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return b
}

// tokenEncoding is strict: a token with other bits in its last
// character is another string, and not a token.
var tokenEncoding = base64.RawURLEncoding.Strict()

// tokenLen is a token's length: 32 bytes in unpadded base64.
var tokenLen = tokenEncoding.EncodedLen(sha256.Size)

func mac(secret []byte, role Role, class, student string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("ovslab token v1\x00" + string(role) + "\x00" + class + "\x00" + student))
	return m.Sum(nil)
}

func token(secret []byte, role Role, class, student string) string {
	return tokenEncoding.EncodeToString(mac(secret, role, class, student))
}

// secretOf reads the class's secret.
func secretOf(name string) ([]byte, error) {
	dir, err := classDir(name, false)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	s, err := readAt(dir, secretFile)
	if err == nil && len(s) != secretSize {
		err = fmt.Errorf("class %s: %s/%s is %d bytes, not %d: run ovslab class urls --rotate", name, dir.Name(), secretFile, len(s), secretSize)
	}
	return s, err
}

// Verify says who token stands for, comparing it in constant time with
// the token of every teacher and student recorded here. It reads the
// records each time, so a class brought up, a student removed or a
// Rotate counts at once. Any token that stands for no one is ErrBadToken.
func Verify(token string) (Identity, error) {
	raw, err := tokenEncoding.DecodeString(token)
	if len(token) != tokenLen || err != nil || len(raw) != sha256.Size {
		return Identity{}, ErrBadToken
	}
	classes, _ := List() // a class that cannot be read admits no one
	var id Identity
	found := 0
	for _, c := range classes {
		secret, err := secretOf(c.Name)
		if err != nil {
			continue
		}
		if hmac.Equal(mac(secret, RoleTeacher, c.Name, ""), raw) {
			id, found = Identity{Role: RoleTeacher, Class: c.Name, labs: c.Copies()}, found+1
		}
		for _, s := range c.Students {
			if hmac.Equal(mac(secret, RoleStudent, c.Name, s), raw) {
				id, found = Identity{Role: RoleStudent, Class: c.Name, Student: s, Lab: c.Copy(s), labs: []string{c.Copy(s)}}, found+1
			}
		}
	}
	if found != 1 {
		return Identity{}, ErrBadToken
	}
	return id, nil
}

// Rotate gives the class a new secret: every URL handed out before stops
// working, and URLs makes new ones.
func Rotate(name string) error {
	dir, err := classDir(name, false)
	if err != nil {
		return err
	}
	defer dir.Close()
	return writeAt(dir, secretFile, newSecret())
}

// DefaultBase is where `ovslab serve` listens unless told otherwise.
const DefaultBase = "http://127.0.0.1:7780"

// URLs are the pages a class's teacher and students open.
type URLs struct {
	Teacher  string            `json:"teacher"`
	Students map[string]string `json:"students"`
}

// URLsOf is every URL of c, as BASE/?token=TOKEN, recording c first if
// this machine has no record of it. The tokens of students the record
// lacks work once c is brought up (Up records it).
func URLsOf(c *Class, base string) (*URLs, error) {
	b, err := checkBase(base)
	if err != nil {
		return nil, err
	}
	if _, err := Get(c.Name); errors.Is(err, ErrNoClass) {
		if err := register(c); err != nil {
			return nil, err
		}
	}
	secret, err := secretOf(c.Name)
	if err != nil {
		return nil, err
	}
	u := &URLs{Teacher: b + "/?token=" + token(secret, RoleTeacher, c.Name, ""), Students: map[string]string{}}
	for _, s := range c.Students {
		u.Students[s] = b + "/?token=" + token(secret, RoleStudent, c.Name, s)
	}
	return u, nil
}

// checkBase accepts an http or https URL of a server's root, without a
// query or fragment, and returns it without its trailing slash.
func checkBase(base string) (string, error) {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return "", labs.Usagef("--base %q: %v", base, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", labs.Usagef("--base %q: want an http:// or https:// URL", base)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", labs.Usagef("--base %q: want scheme://host[:port][/path], without user, query or fragment", base)
	}
	return strings.TrimRight(base, "/"), nil
}
