package app

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"kurve/models"
)

// dashCache keeps the attention lists of the start pages (issue 15). At a
// site of 20,000 cases computing them reads and judges every open case;
// their result changes only when a fact they read changes at the site, or
// with the day. So they are kept per user, site, role and day together
// with the version of the site's case facts they were computed from
// (migration 00032), and computed again when that version has moved.
//
// The version is raised in every transaction that writes such a fact, and
// read in the request's own transaction before the facts: a save is seen
// by the next page of every instance, and nothing but another reading of
// the database decides that a kept entry is current. What is kept is case
// numbers, statuses, dates and counts, never a name; every request reads
// and decrypts the names it shows under its own row-level security.
type dashCache struct {
	mu      sync.Mutex
	entries map[dashKey]dashEntry
	// flight makes requests that ask for the same entry and version while
	// it is computed wait for that one computation (see get).
	flight singleflight.Group
}

// dashCacheMax bounds the entries (each a few kilobytes): one per user
// and day who opened a start page, which is far more than the staff of a
// program; when full, an arbitrary entry goes.
const dashCacheMax = 2048

type dashKey struct {
	user, site string
	role       models.Role
	day        string
	staffing   bool
}

type dashEntry struct {
	version int64
	att     *attention
}

// attention answers the attention lists of the store's actor on day,
// from the cache when the site's case facts have not changed since.
func (c *dashCache) attention(st *models.Store, day time.Time, staffing bool) (*attention, error) {
	version, err := st.CaseFactsVersion()
	if err != nil {
		return nil, err
	}
	a := st.Actor()
	key := dashKey{user: a.UserID, site: a.SiteID, role: a.Role, day: day.Format(time.DateOnly), staffing: staffing}
	return c.get(key, version, func() (*attention, error) {
		facts, err := st.CaseFacts(day, staffing)
		if err != nil {
			return nil, err
		}
		return attentionOf(facts, staffing), nil
	})
}

// get answers key at version: the kept entry when it is of that version,
// else compute's result, which is kept. Requests that ask for the same
// key and version while it is computed wait for that one computation
// instead of each reading and judging every case of the site: sixteen
// coordinators opening their start pages at once at a site of 20,000
// cases held sixteen copies of its case facts, the server's memory peak
// in the benchmark. The entry is the same for them (the same user, site,
// role, day and version of the facts), so sharing it shares nothing the
// cache would not. When the computing request fails (its own transaction,
// its own deadline), a waiting one computes on its own.
func (c *dashCache) get(key dashKey, version int64, compute func() (*attention, error)) (*attention, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.version == version {
		return e.att, nil
	}
	ran := false
	run := func() (*attention, error) {
		ran = true
		att, err := compute()
		if err == nil {
			c.keep(key, version, att)
		}
		return att, err
	}
	v, err, _ := c.flight.Do(fmt.Sprintf("%s|%s|%s|%s|%t|%d", key.user, key.site, key.role, key.day, key.staffing, version),
		func() (any, error) { return run() })
	switch {
	case err != nil && !ran:
		return run()
	case err != nil:
		return nil, err
	}
	return v.(*attention), nil
}

// keep stores att as key's entry at version, unless a newer one is kept.
func (c *dashCache) keep(key dashKey, version int64, att *attention) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[dashKey]dashEntry{}
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= dashCacheMax {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	// A concurrent request may have kept a newer version meanwhile.
	if old, ok := c.entries[key]; !ok || old.version <= version {
		c.entries[key] = dashEntry{version: version, att: att}
	}
}
