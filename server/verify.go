package server

import (
	"crypto/sha256"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ovslab/ovslab/class"
)

// Verifying a token reads every class recorded here (milliseconds with a
// few classes of a hundred students): a request with a token that is
// not one must not be free to send. A token verified is remembered for
// verifiedFor, so the pages' requests cost nothing, and the tokens that
// fail are limited per client address: past a burst of badBurst, one
// every badEvery, else 429 before any reading.

// verifiedFor is how long a verified token is trusted without reading
// the records again: a rotation reaches the API within it (event
// streams verify afresh every reverify). A var for tests.
var verifiedFor = 10 * time.Second

const (
	badBurst    = 100
	badEvery    = 200 * time.Millisecond
	maxVerified = 10000 // entries remembered; more are verified each time
)

// errTooManyBad is a client that sent too many tokens that were none.
var errTooManyBad = errors.New("too many invalid tokens from this address")

type verified struct {
	id    class.Identity
	until time.Time
}

// verifier is Options.Verify with the memory and the limit above.
type verifier struct {
	verify func(string) (class.Identity, error)
	bad    *limiter

	mu   sync.Mutex
	seen map[[32]byte]verified // by the token's hash: no token kept in memory as is
}

func newVerifier(verify func(string) (class.Identity, error)) *verifier {
	return &verifier{verify: verify, bad: newLimiter(badEvery, badBurst), seen: map[[32]byte]verified{}}
}

// check verifies token, sent from r's client.
func (v *verifier) check(r *http.Request, token string) (class.Identity, error) {
	k := sha256.Sum256([]byte(token))
	now := time.Now()
	v.mu.Lock()
	e, ok := v.seen[k]
	v.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.id, nil
	}
	client := clientAddr(r)
	if ok, _ := v.bad.peek(client); !ok {
		return class.Identity{}, errTooManyBad
	}
	id, err := v.verify(token)
	if err != nil {
		v.bad.allow(client)
		return id, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.seen) >= maxVerified {
		for k, e := range v.seen {
			if now.After(e.until) {
				delete(v.seen, k)
			}
		}
	}
	if len(v.seen) < maxVerified {
		v.seen[k] = verified{id: id, until: now.Add(verifiedFor)}
	}
	return id, nil
}

// clientAddr is the address the request came from (no proxy header is
// believed).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
