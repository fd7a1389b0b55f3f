package models

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Police contacts after program start by program outcome (issue 17, items
// 4 and 5; SPEC §5 crossing 3, §6 "Outcome measures"). The counts come
// from the third crossing, crossing.police_outcomes (migration 00031),
// which alone joins the program outcome with the police contacts and
// returns every count below k as NULL. This file adds them to the groups
// of the outcome table, ties them into the complementary suppression of
// suppressGroups (within a group: children = with + without a contact,
// both outcomes = their total, each window = the next one + the children
// whose next window has not elapsed yet; across groups: rows, columns and
// totals, as every count) and derives the rates from what stays visible.
//
// Measures, per window W of 6m, 12m, 24m after program start:
//
//	police_contact_W_rate            children with a contact within W, of those whose W has elapsed
//	police_contact_W_completed_rate  the same for completed programs
//	police_contact_W_ended_early_rate ... and for programs ended early (ended early, withdrawn, declined after start)
//	police_window_W[_completed|_ended_early]  children whose W has elapsed (the denominators)
//	police_contact_W[_completed|_ended_early] those of them with at least one contact within W

// PoliceWindows are the windows after program start, in the order shown.
var PoliceWindows = []string{"6m", "12m", "24m"}

// PoliceOutcomes are the program outcomes of the crossing: a completed
// program, and one that ended after its start without completion.
var PoliceOutcomes = []string{"completed", "ended_early"}

// policeSuffixes are the outcome suffixes of the measures: both outcomes
// ("") and each one.
var policeSuffixes = []string{"", "_completed", "_ended_early"}

func policeSuffix(outcome string) string {
	if outcome == "" {
		return ""
	}
	return "_" + outcome
}

// PoliceRate names the rate of window w for outcome ("" for both).
func PoliceRate(w, outcome string) string {
	return "police_contact_" + w + policeSuffix(outcome) + "_rate"
}

// PoliceWindowCount names the count of children whose window w has
// elapsed, for outcome ("" for both).
func PoliceWindowCount(w, outcome string) string { return "police_window_" + w + policeSuffix(outcome) }

// PoliceContactCount names the count of those children with a contact
// within w, for outcome ("" for both).
func PoliceContactCount(w, outcome string) string {
	return "police_contact_" + w + policeSuffix(outcome)
}

// policeNoContact names the children of a window without a contact: a
// count of people that is never shown, but must not be recoverable.
func policeNoContact(w, suffix string) string { return "police_no_contact_" + w + suffix }

// policeNotYet names the children whose window w has elapsed but not the
// next longer one: window w = next window + these.
func policeNotYet(w, next, suffix string) string {
	return "police_window_" + w + "_not_" + next + suffix
}

// PoliceContactMeasures are the crossing's measures of an outcome row, in
// display order: per window the rates, the children counted, those with a
// contact.
var PoliceContactMeasures = func() []string {
	var out []string
	for _, w := range PoliceWindows {
		for _, s := range policeSuffixes {
			out = append(out, "police_contact_"+w+s+"_rate")
		}
		for _, s := range policeSuffixes {
			out = append(out, "police_window_"+w+s)
		}
		for _, s := range policeSuffixes {
			out = append(out, "police_contact_"+w+s)
		}
	}
	return out
}()

// policeRates maps each rate to its numerator and denominator.
var policeRates = func() map[string][2]string {
	out := map[string][2]string{}
	for _, w := range PoliceWindows {
		for _, s := range policeSuffixes {
			out["police_contact_"+w+s+"_rate"] = [2]string{"police_contact_" + w + s, "police_window_" + w + s}
		}
	}
	return out
}()

// policeCounted are the person counts the suppression covers: those
// shown, and those derived from them that are never shown.
var policeCounted = func() []string {
	var out []string
	for _, w := range PoliceWindows {
		for _, s := range policeSuffixes {
			out = append(out, "police_window_"+w+s, "police_contact_"+w+s, policeNoContact(w, s))
		}
	}
	for i := 0; i+1 < len(PoliceWindows); i++ {
		for _, s := range policeSuffixes {
			out = append(out, policeNotYet(PoliceWindows[i], PoliceWindows[i+1], s))
		}
	}
	return out
}()

// policePartitions are the sums within one group.
var policePartitions = func() []partition {
	var out []partition
	for _, w := range PoliceWindows {
		for _, s := range policeSuffixes {
			out = append(out, partition{"police_window_" + w + s, []string{"police_contact_" + w + s, policeNoContact(w, s)}})
		}
		for _, total := range []string{"police_window_" + w, "police_contact_" + w, policeNoContact(w, "")} {
			out = append(out, partition{total, []string{total + "_completed", total + "_ended_early"}})
		}
	}
	for i := 0; i+1 < len(PoliceWindows); i++ {
		w, next := PoliceWindows[i], PoliceWindows[i+1]
		for _, s := range policeSuffixes {
			out = append(out, partition{"police_window_" + w + s, []string{"police_window_" + next + s, policeNotYet(w, next, s)}})
		}
	}
	return out
}()

// policeSlot are the slots (countSlot) of one window's counts for one
// outcome suffix: the children whose window elapsed, those with a
// contact, those without, and those whose next window has not elapsed yet
// (-1 for the longest window).
type policeSlot struct{ window, contact, noContact, notYet int }

// policeSlots[s][w] are the slots of policeSuffixes[s] and PoliceWindows[w].
var policeSlots = func() [][]policeSlot {
	out := make([][]policeSlot, len(policeSuffixes))
	for si, s := range policeSuffixes {
		for wi, w := range PoliceWindows {
			ps := policeSlot{countSlot["police_window_"+w+s], countSlot["police_contact_"+w+s], countSlot[policeNoContact(w, s)], -1}
			if wi+1 < len(PoliceWindows) {
				ps.notYet = countSlot[policeNotYet(w, PoliceWindows[wi+1], s)]
			}
			out[si] = append(out[si], ps)
		}
	}
	return out
}()

// partition says that within a group total = Σ parts.
type partition struct {
	total string
	parts []string
}

// addPoliceContacts merges the counts of the third crossing into the
// groups with the same key and derives the counts never shown. It must
// run as kurve_statistics, for an evaluator.
func (s *Store) addPoliceContacts(groups []*group, q StatsQuery, k int) ([]*group, error) {
	rows, err := s.db.Raw(`SELECT grp, site, year, quarter, age_band, gender, interpreter, reason, outcome,
			children_6m, contacted_6m, children_12m, contacted_12m, children_24m, contacted_24m
		FROM crossing.police_outcomes(?::text[], ?::text[], ?::integer[], ?::integer[], ?)`,
		arrayLiteral(q.By), nullableArray(q.Sites), nullableArray(q.Years), nullableArray(q.Quarters), k).Rows()
	if err != nil {
		return nil, statsError(err)
	}
	defer rows.Close()
	byKey := map[string]*group{}
	for _, g := range groups {
		byKey[keyString(g.key)] = g
	}
	for rows.Next() {
		var (
			d       dims
			outcome sql.NullString
			counts  [6]sql.NullInt64
		)
		if err := rows.Scan(append(d.all(), &outcome,
			&counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5])...); err != nil {
			return nil, fmt.Errorf("models: police outcome counts: %w", err)
		}
		key := d.key(q.By)
		ks := keyString(key)
		g := byKey[ks]
		if g == nil {
			// Every child the crossing counts is counted by the outcome
			// table as well; a group it lacks has people it cannot show.
			g = &group{key: key, counts: newCounts()}
			g.counts.set("participants", Hidden)
			byKey[ks] = g
			groups = append(groups, g)
		}
		si := 0 // both outcomes
		if outcome.Valid {
			if si = slices.Index(policeSuffixes, policeSuffix(outcome.String)); si < 0 {
				return nil, fmt.Errorf("models: police outcome counts: unknown outcome %q", outcome.String)
			}
		}
		for wi, ps := range policeSlots[si] {
			g.counts[ps.window] = countOrHidden(counts[2*wi])
			g.counts[ps.contact] = countOrHidden(counts[2*wi+1])
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: police outcome counts: %w", err)
	}
	for _, g := range groups {
		g.setPoliceDerived(k)
	}
	return groups, nil
}

// countOrHidden is a count as an aggregate returns it: Hidden for NULL,
// a count it removed below k.
func countOrHidden(n sql.NullInt64) int {
	if !n.Valid {
		return Hidden
	}
	return int(n.Int64)
}

// setPoliceDerived adds a group's counts that are never shown but tie the
// shown ones together: the children of a window without a contact, and
// those whose window has elapsed but not the next one. A difference with
// a hidden term is hidden itself. A group the crossing did not return has
// no child with an ended program: its counts are zero.
//
// The children whose 6 months have elapsed but not 12 (or 12 but not 24)
// are often few: programs that completed within a year of their start are
// rare. Shown beside each other, the two windows' children and contacts
// would bound what those few had; one of the two windows' counts has to
// go. The 12-month window is the program's headline measure (SPEC §11,
// police_contact_12m_rate), so it is the other one that is hidden: the
// 6-month count, or the 24-month count, hidden here before the
// suppression starts; suppressGroups then hides what would give it away.
func (g *group) setPoliceDerived(k int) {
	c := g.counts
	diff := func(a, b int) int {
		x, y := c.value(a), c.value(b)
		if x < 0 || y < 0 {
			return Hidden
		}
		return x - y
	}
	for _, windows := range policeSlots {
		for wi, ps := range windows {
			c[ps.noContact] = diff(ps.window, ps.contact)
			if ps.notYet >= 0 {
				c[ps.notYet] = diff(ps.window, windows[wi+1].window)
			}
		}
	}
	for _, windows := range policeSlots {
		for wi := 0; wi+1 < len(windows); wi++ {
			if n := c[windows[wi].notYet]; n < 0 || n > 0 && n < max(k, MinK) {
				sacrificed := wi // 6 of 6/12
				if PoliceWindows[wi] == policeHeadline {
					sacrificed = wi + 1 // 24 of 12/24
				}
				c[windows[sacrificed].window] = Hidden
			}
		}
	}
}

// policeHeadline is the window the suppression keeps when one of two has
// to go.
const policeHeadline = "12m"

// policeRateParts returns the numerator and denominator of a rate of the
// crossing; ok is false for any other measure.
func policeRateParts(name string) (num, den string, ok bool) {
	if !strings.HasPrefix(name, "police_contact_") {
		return "", "", false
	}
	p, ok := policeRates[name]
	return p[0], p[1], ok
}
