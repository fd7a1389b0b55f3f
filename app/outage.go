package app

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// outageRetry is the Retry-After of a 503 while PostgreSQL is unreachable.
const outageRetry = 5 * time.Second

// outageSettle is how long no request may have been refused before a
// request that reached the database ends the outage. While PostgreSQL
// shuts down, a request on a connection that has not noticed yet still
// succeeds between refused ones; without the pause that straggler logged
// the end of the outage and the next refusal its beginning again.
const outageSettle = time.Second

// outage logs a database outage once when it begins and once when it
// ends, not once per refused request (68,000 lines in 30 s before).
type outage struct {
	since atomic.Int64 // unix nanoseconds of the first refused request; 0 while up
	last  atomic.Int64 // unix nanoseconds of the latest refused request
}

// down records a request refused for want of the database.
func (o *outage) down(err error) {
	now := time.Now().UnixNano()
	o.last.Store(now)
	if o.since.CompareAndSwap(0, now) {
		slog.Error("database unavailable: answering 503 until it is back", "err", err)
	}
}

// active reports whether requests are being refused for want of the
// database.
func (o *outage) active() bool { return o.since.Load() != 0 }

// up records a request that reached the database.
func (o *outage) up() {
	since := o.since.Load()
	if since == 0 || time.Since(time.Unix(0, o.last.Load())) < outageSettle {
		return
	}
	if o.since.CompareAndSwap(since, 0) {
		slog.Info("database available again", "outage_ms", time.Since(time.Unix(0, since)).Milliseconds())
	}
}
