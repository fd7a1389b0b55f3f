package app

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// heavyGate lets a few heavy requests (the statistics tables) run at once
// and queues the rest before their transaction begins (issue 15). A table
// at the 100k data set costs about 75 ms of CPU in PostgreSQL and 25 ms in
// Go and holds several megabytes while it is built; with 64 of them in
// flight the server held hundreds of megabytes and spent a third of its
// Go time collecting garbage, with no more tables per second, as the
// cores were busy anyway. Two per core keep both busy. A queued request
// holds no database connection, so case staff's pages never wait behind
// statistics.
type heavyGate struct {
	slots chan struct{}
	wait  time.Duration
}

func newHeavyGate() *heavyGate {
	return &heavyGate{slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0)), wait: heavyWait}
}

// heavyWait is how long a heavy request waits for its turn before it is
// answered 503 with Retry-After (error.busy).
const heavyWait = 30 * time.Second

// errBusy: the heavy request waited heavyWait in vain.
var errBusy = errors.New("too many heavy requests")

// enter waits for a turn; the caller runs release when done.
func (g *heavyGate) enter(ctx context.Context) (release func(), err error) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errBusy
	}
}
