package app

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// outageRetry is the Retry-After of a 503 while PostgreSQL is unreachable.
const outageRetry = 5 * time.Second

// outage logs a database outage once when it begins and once when it
// ends, not once per refused request (68,000 lines in 30 s before).
type outage struct {
	since atomic.Int64 // unix nanoseconds of the first refused request; 0 while up
}

// down records a request refused for want of the database.
func (o *outage) down(err error) {
	if o.since.CompareAndSwap(0, time.Now().UnixNano()) {
		slog.Error("database unavailable: answering 503 until it is back", "err", err)
	}
}

// up records a request that reached the database.
func (o *outage) up() {
	if since := o.since.Swap(0); since != 0 {
		slog.Info("database available again", "outage_ms", time.Since(time.Unix(0, since)).Milliseconds())
	}
}
