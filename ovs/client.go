package ovs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// LabKey is the external_ids key that marks a row as created by (and owned
// by) an ovslab lab; its value is the lab name.
const LabKey = "ovslab-lab"

// cacheSyncTimeout bounds how long a write waits for the monitor to show
// its result when the caller's context has no deadline of its own.
const cacheSyncTimeout = 15 * time.Second

// pollInterval is how often cache and process conditions are re-checked.
const pollInterval = 50 * time.Millisecond

// callTimeout bounds every request sent to ovsdb-server (connecting with
// its schema and monitor, a transaction, an echo), whatever the caller's
// context: a server that accepts and never answers is named in an error
// well within the 30 s the docs promise, never waited on forever. A var
// so tests need not wait that long.
var callTimeout = 15 * time.Second

// ErrNoAnswer is wrapped when ovsdb-server did not answer within
// callTimeout: it is there (the socket accepted) but stuck.
var ErrNoAnswer = errors.New("no answer")

// Client is an OVSDB connection with a live cache of the Open_vSwitch,
// Bridge, Port and Interface tables. It is safe for concurrent use, but two
// Applys for the same lab must not run at once (the labs package locks).
type Client struct {
	ovs      client.Client
	endpoint string
	writes   atomic.Int64 // transactions sent; lets tests prove a no-op wrote nothing
	// Changed, if set, hears each change Apply commits: the row's name
	// and what happened to it ("created", "mtu 1500→1554").
	Changed func(object, what string)
}

// Connect opens an OVSDB client on endpoint ("unix:/path/db.sock" or
// "tcp:host:port"), monitors the tables ovslab uses and returns once the
// initial cache is loaded.
func Connect(ctx context.Context, endpoint string) (*Client, error) {
	dbModel, err := vswitchd.FullDatabaseModel()
	if err != nil {
		return nil, fmt.Errorf("ovsdb model: %w", err)
	}
	// The index lets Where(&Bridge{ExternalIDs: {LabKey: lab}}) find a
	// lab's rows without scanning every row in the table.
	byLab := []model.ClientIndex{{Columns: []model.ColumnKey{{Column: "external_ids", Key: LabKey}}}}
	dbModel.SetIndexes(map[string][]model.ClientIndex{
		vswitchd.BridgeTable:    byLab,
		vswitchd.PortTable:      byLab,
		vswitchd.InterfaceTable: byLab,
	})
	// Without a logger libovsdb logs every cache update to stderr.
	quiet := logr.Discard()
	ovs, err := client.NewOVSDBClient(dbModel, client.WithEndpoint(endpoint), client.WithLogger(&quiet))
	if err != nil {
		return nil, fmt.Errorf("ovsdb endpoint %q: %w", endpoint, err)
	}
	// One bound for the whole connect: dial, list_dbs, get_schema and the
	// monitor's initial dump.
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := ovs.Connect(cctx); err != nil {
		ovs.Close()
		if timedOut(ctx, cctx) {
			return nil, noAnswer(endpoint, "a connect")
		}
		return nil, unreachable(endpoint, err)
	}
	// Lookups before the monitor is in place see an empty cache, and an
	// "ensure" would then insert duplicates.
	//
	// Of Interface and Port, only the columns ovslab reads or writes:
	// vswitchd rewrites their counters and status every few seconds, and
	// a lab of hundreds of ports need not decode them (nor the empty
	// bond, LACP and RSTP columns of every port: a third of a no-op up's
	// OVSDB decoding at 1000 ports). A column not listed reads as its
	// zero value.
	i, p := &vswitchd.Interface{}, &vswitchd.Port{}
	mon := ovs.NewMonitor(
		client.WithTable(&vswitchd.OpenvSwitch{}),
		client.WithTable(&vswitchd.Bridge{}),
		client.WithTable(p, &p.UUID, &p.Name, &p.Interfaces, &p.Tag, &p.Trunks, &p.Protected, &p.QOS, &p.ExternalIDs),
		client.WithTable(i, &i.UUID, &i.Name, &i.Type, &i.Options, &i.ExternalIDs, &i.OtherConfig,
			&i.Ofport, &i.OfportRequest, &i.Error, &i.AdminState, &i.LinkState, &i.MTU, &i.MTURequest, &i.MAC,
			&i.IngressPolicingRate, &i.IngressPolicingBurst),
		client.WithTable(&vswitchd.QoS{}),
	)
	if _, err := ovs.Monitor(cctx, mon); err != nil {
		ovs.Close()
		if timedOut(ctx, cctx) {
			return nil, noAnswer(endpoint, "a monitor request")
		}
		return nil, fmt.Errorf("monitor OVSDB at %s: %w", endpoint, err)
	}
	return &Client{ovs: ovs, endpoint: endpoint}, nil
}

// unreachable turns a connect failure into a message that names the
// endpoint and the fix, keeping the dial error (the useful part) short.
func unreachable(endpoint string, err error) error {
	cause := err
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		cause = opErr
	}
	return fmt.Errorf("cannot reach OVSDB at %s: %w; is ovsdb-server running? (--ovsdb ENDPOINT)", endpoint, cause)
}

// noAnswer names the server, its endpoint and what it did not answer.
func noAnswer(endpoint, what string) error {
	return fmt.Errorf("ovsdb-server at %s did not answer %s within %s: %w; is it running and not stuck? (--ovsdb ENDPOINT)",
		endpoint, what, callTimeout, ErrNoAnswer)
}

// timedOut reports whether bounded (made from ctx by call or Connect)
// ended because of its own deadline, not because the caller gave up.
func timedOut(ctx, bounded context.Context) bool {
	return ctx.Err() == nil && errors.Is(bounded.Err(), context.DeadlineExceeded)
}

// call runs one request to ovsdb-server bounded by callTimeout.
func (c *Client) call(ctx context.Context, what string, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err := fn(cctx)
	if err != nil && timedOut(ctx, cctx) {
		return noAnswer(c.endpoint, what)
	}
	return err
}

// Close ends the connection. The Client is unusable afterwards.
func (c *Client) Close() {
	c.ovs.Close()
}

// Endpoint returns the endpoint the client was connected to.
func (c *Client) Endpoint() string {
	return c.endpoint
}

// transact runs ops as one transaction and reports the first failed
// operation: Transact alone returns nil even when an operation failed.
func (c *Client) transact(ctx context.Context, ops []ovsdb.Operation) error {
	c.writes.Add(1)
	var results []ovsdb.OperationResult
	err := c.call(ctx, "a transaction", func(ctx context.Context) (err error) {
		results, err = c.ovs.Transact(ctx, ops...)
		return err
	})
	if errors.Is(err, ErrNoAnswer) {
		return err
	}
	if err != nil {
		return fmt.Errorf("OVSDB transaction at %s: %w", c.endpoint, err)
	}
	if _, err := ovsdb.CheckOperationResults(results, ops); err != nil {
		return fmt.Errorf("OVSDB transaction at %s: %w", c.endpoint, err)
	}
	return nil
}

// waitSynced polls until pending reports that the cache needs no further
// operations, i.e. the monitor has caught up with what was just written.
// The cache lags Transact, and a following Apply must see the new state.
func (c *Client) waitSynced(ctx context.Context, what string, pending func() (int, error)) error {
	ctx, cancel := withDefaultTimeout(ctx, cacheSyncTimeout)
	defer cancel()
	return poll(ctx, func() (bool, error) {
		n, err := pending()
		return err == nil && n == 0, err
	}, func() error {
		return fmt.Errorf("%s: OVSDB at %s did not show the committed state", what, c.endpoint)
	})
}

// withDefaultTimeout bounds a wait whose caller set no deadline, so a
// daemon that never answers turns into an error instead of a hang.
func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// poll calls cond every pollInterval until it returns true or an error, or
// ctx ends, in which case it returns timeout() wrapped with ctx's error.
func poll(ctx context.Context, cond func() (bool, error), timeout func() error) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", timeout(), ctx.Err())
		case <-t.C:
		}
	}
}

// ownedBy reports whether external_ids mark a row as the lab's.
func ownedBy(externalIDs map[string]string, lab string) bool {
	return lab != "" && externalIDs[LabKey] == lab
}

// labMark is the external_ids every row created for lab carries.
func labMark(lab string) map[string]string {
	return map[string]string{LabKey: lab}
}
