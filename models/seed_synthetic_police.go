package models

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// Synthetic police contacts after a referral (issue 17, item 8): the
// police liaisons of the synthetic sites record later police contacts of
// the children they referred, so that crossing 3 and the statistics
// benchmark have something to count. Plausible, not a model of anyone:
//
//   - a child whose program ended early comes to police attention again
//     about twice as often as one who completed it; a child still in the
//     program, or never taken in, lies between;
//   - some contacts fall between the referral and the program start, most
//     after it, early ones more often than late ones;
//   - the category is often the referral's own reason.
//
// The contacts draw from a random source of their own (seeded from the
// data set's seed), so that the rest of the data set is the same with or
// without them.

// pPoliceContactAfter is the chance of at least one police contact
// within about two years after program start, by status; the mean days
// from start to the first such contact.
var (
	pPoliceContactAfter = map[Status]float64{StatusCompleted: 0.18, StatusEndedEarly: 0.42, StatusWithdrawn: 0.36,
		StatusDeclined: 0.36, StatusActive: 0.24}
	policeContactMeanDays = map[Status]float64{StatusCompleted: 320, StatusEndedEarly: 220, StatusWithdrawn: 240,
		StatusDeclined: 240, StatusActive: 260}
)

const (
	pPoliceContactBeforeStart = 0.10 // a contact between referral and program start
	pPoliceContactNoProgram   = 0.28 // a child never taken in: a contact after the referral
	pPoliceContactAgain       = 0.35 // after a contact, another one
	pPoliceContactSameReason  = 0.60 // the category is the referral's reason
)

// synPoliceContact is one contact on a referral (an index into referrals).
type synPoliceContact struct {
	id       [16]byte
	referral int32
	on       time.Time
	category string
}

// planPoliceContacts draws the contacts of the planned referrals; it runs
// after planReferrals, which gives the referrals their ids and reasons.
func (g *synth) planPoliceContacts() {
	r := rand.New(rand.NewPCG(g.seed, 0x706f6c697a6569))
	chance := func(p float64) bool { return r.Float64() < p }
	for ri := range g.referrals {
		ref := &g.referrals[ri]
		received := dateOf(ref.created)
		add := func(on time.Time) {
			if on.Before(received) || on.After(g.today) {
				return
			}
			cat := ref.reason
			if !chance(pPoliceContactSameReason) {
				cat = ReasonCategories[r.IntN(len(ReasonCategories))]
			}
			var id [16]byte
			for i := range 2 {
				u := r.Uint64()
				for b := range 8 {
					id[i*8+b] = byte(u >> (8 * b))
				}
			}
			id[6] = id[6]&0x0f | 0x40
			id[8] = id[8]&0x3f | 0x80
			g.police = append(g.police, synPoliceContact{id: id, referral: int32(ri), on: on, category: cat})
		}
		// A first contact on a day, and by chance later ones.
		series := func(first time.Time) {
			for on := first; !on.After(g.today); on = on.AddDate(0, 0, 20+r.IntN(300)) {
				add(on)
				if !chance(pPoliceContactAgain) {
					return
				}
			}
		}
		var c *synChild
		if ref.child >= 0 {
			c = &g.children[ref.child]
		}
		if c == nil || c.activated.IsZero() {
			// Never taken in, or never started: a contact after the referral.
			if chance(pPoliceContactNoProgram) {
				if span := days(received, g.today); span > 0 {
					series(received.AddDate(0, 0, 1+r.IntN(span)))
				}
			}
			continue
		}
		start := dateOf(c.activated)
		if gap := days(received, start); gap > 1 && chance(pPoliceContactBeforeStart) {
			add(received.AddDate(0, 0, 1+r.IntN(gap-1)))
		}
		st := c.status()
		if chance(pPoliceContactAfter[st]) {
			// Exponential: early contacts more often than late ones.
			d := int(-math.Log(1-r.Float64()) * policeContactMeanDays[st])
			series(start.AddDate(0, 0, d))
		}
	}
}

// writePoliceContacts writes the planned contacts, each recorded by the
// liaison who submitted its referral a few days after it occurred.
func (g *synth) writePoliceContacts(ctx context.Context, tx pgx.Tx) error {
	err := g.copy(ctx, tx, "enforcement.police_contacts", []string{"id", "referral_id", "occurred_on", "category", "recorded_by",
		"created_at"}, func(yield func([]any) bool) {
		for _, pc := range g.police {
			ref := &g.referrals[pc.referral]
			recorded := pc.on.AddDate(0, 0, int(pc.id[0]%5))
			if recorded.After(g.today) {
				recorded = g.today
			}
			if !yield([]any{pgUUID(pc.id), pgUUID(ref.id), pc.on, pc.category, pgUUID(g.users[g.sites[ref.site].police].id),
				at(recorded, 9+int(pc.id[1]%8), int(pc.id[2]%60))}) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	// The crossing's refresh joins them per referral: fresh statistics.
	_, err = tx.Exec(ctx, "ANALYZE enforcement.police_contacts")
	return err
}
