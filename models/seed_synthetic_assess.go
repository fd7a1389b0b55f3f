package models

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Synthetic assessments (issue 17): every synthetic site gets the demo
// instrument (unless it keeps one of its own), and the cases their
// assessments: a baseline soon after activation for most, one with about
// every second review, and the exit at the closing interview of most
// closed cases. Scores start from a need drawn per child and move towards
// better by a gain drawn per item: on average more for completed cases
// than for cases that ended early or were withdrawn, while open cases are
// on the way. A few items are not assessable, substance use often so for
// the youngest. The assessments are planned once the instrument is
// written, with a random source of their own, so that the rest of the
// data set stays as it was for a seed.

// Shape of the assessments.
const (
	pBaseline       = 0.9  // of the cases that became active
	pReviewAssessed = 0.4  // of the reviews
	pExitCompleted  = 0.9  // of completed cases
	pExitEndedEarly = 0.6  // of cases that ended early after activation
	pNotAssessable  = 0.03 // of the other scores
)

// synAssess is what SeedSynthetic writes of the assessments.
type synAssess struct {
	items       [][]synItem // per site, its current instrument
	assessments []synAssessment
	scores      []int8 // per assessment one per item of its site, from first; -1: not assessable
}

type synItem struct {
	id       [16]byte
	code     string
	kind     string
	min, max int
}

type synAssessment struct {
	id       [16]byte
	child    int32
	occasion uint8 // index into Occasions
	on       time.Time
	first    int32
}

// writeAssessments writes the instrument where a site lacks one, plans the
// assessments and copies them in.
func (g *synth) writeAssessments(ctx context.Context, tx pgx.Tx) error {
	if err := g.writeInstruments(ctx, tx); err != nil {
		return err
	}
	g.planAssessments(rand.New(rand.NewPCG(g.r.Uint64(), 0x617373657373)))
	a := &g.assess
	err := g.copy(ctx, tx, assessmentsTable, []string{"id", "participant_id", "site_id", "occasion", "assessed_on", "created_by", "created_at"},
		func(yield func([]any) bool) {
			for _, as := range a.assessments {
				c := &g.children[as.child]
				if !yield([]any{pgUUID(as.id), pgUUID(c.id), pgUUID(g.sites[c.site].id), Occasions[as.occasion], as.on,
					pgUUID(g.users[c.worker].id), at(as.on, 14, 30)}) {
					return
				}
			}
		})
	if err != nil {
		return err
	}
	return g.copy(ctx, tx, "prevention.assessment_scores", []string{"assessment_id", "item_id", "site_id", "scale_min", "scale_max", "score"},
		func(yield func([]any) bool) {
			for _, as := range a.assessments {
				site := g.children[as.child].site
				for i, it := range a.items[site] {
					var score any
					if s := a.scores[int(as.first)+i]; s >= 0 {
						score = int16(s)
					}
					if !yield([]any{pgUUID(as.id), pgUUID(it.id), pgUUID(g.sites[site].id), int16(it.min), int16(it.max), score}) {
						return
					}
				}
			}
		})
}

// writeInstruments adds the demo instrument to each site without current
// items and reads every site's current instrument back, in its order.
func (g *synth) writeInstruments(ctx context.Context, tx pgx.Tx) error {
	g.assess.items = make([][]synItem, len(g.sites))
	for si, s := range g.sites {
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM prevention.assessment_items WHERE site_id = $1 AND retired_at IS NULL",
			pgUUID(s.id)).Scan(&n); err != nil {
			return fmt.Errorf("models: synthetic instrument of %s: %w", s.code, err)
		}
		for i, d := range demoInstrument {
			if n > 0 {
				break
			}
			anchors, err := json.Marshal(d.anchors)
			if err != nil {
				return err
			}
			l := d.labels
			if _, err := tx.Exec(ctx, `INSERT INTO prevention.assessment_items (site_id, code, kind, scale_min, scale_max,
				name_de, name_en, name_tr, name_ar, anchors, sort) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
				pgUUID(s.id), d.code, d.kind, demoScaleMin, demoScaleMax, l.DE, l.EN, l.TR, l.AR, string(anchors), i); err != nil {
				return fmt.Errorf("models: synthetic assessment item %s: %w", d.code, err)
			}
		}
		rows, err := tx.Query(ctx, `SELECT id, code, kind, scale_min, scale_max FROM prevention.assessment_items
			WHERE site_id = $1 AND retired_at IS NULL ORDER BY sort, code`, pgUUID(s.id))
		if err != nil {
			return fmt.Errorf("models: synthetic instrument of %s: %w", s.code, err)
		}
		var (
			id       pgtype.UUID
			code     string
			kind     string
			min, max int
		)
		if _, err := pgx.ForEachRow(rows, []any{&id, &code, &kind, &min, &max}, func() error {
			g.assess.items[si] = append(g.assess.items[si], synItem{id: id.Bytes, code: code, kind: kind, min: min, max: max})
			return nil
		}); err != nil {
			return fmt.Errorf("models: synthetic instrument of %s: %w", s.code, err)
		}
	}
	return nil
}

// planAssessments draws the assessments of every case that became active.
func (g *synth) planAssessments(r *rand.Rand) {
	chance := func(p float64) bool { return r.Float64() < p }
	reviews := map[int32][]time.Time{}
	for _, rv := range g.reviews {
		reviews[rv.child] = append(reviews[rv.child], rv.held)
	}
	a := &g.assess
	for ci := range g.children {
		c := &g.children[ci]
		items := a.items[c.site]
		if c.activated.IsZero() || len(items) == 0 {
			continue
		}
		until := g.until(c)
		// The child's need at entry (0: little, 1: much) and, per item, the
		// points gained by the exit, which depend on how the case ends.
		need := 0.5*r.Float64() + 0.5*r.Float64()*r.Float64()
		// The child's mean gain in points: completed and open cases gain
		// most, early ends least; children differ around that mean.
		mean := 0.8
		switch c.status() {
		case StatusEndedEarly:
			mean = 0.1
		case StatusWithdrawn:
			mean = 0.2
		}
		mean += 1.2 * (r.Float64() + r.Float64() + r.Float64() - 1.5)
		young := c.activated.Sub(c.dob) < 12*365*24*time.Hour
		baseline := make([]int, len(items))
		gain := make([]int, len(items))
		assessable := make([]bool, len(items))
		for i, it := range items {
			span := float64(it.max - it.min)
			level := int(math.Round(span*(0.3+0.5*need) + float64(r.IntN(3)-1)*0.6))
			level = min(max(level, 0), it.max-it.min)
			baseline[i] = it.max - level // a resource: high is good
			if it.kind == ItemRisk {
				baseline[i] = it.min + level
			}
			gain[i] = min(max(int(math.Round(mean+0.9*(r.Float64()+r.Float64()-1))), -2), 3)
			p := pNotAssessable
			if it.code == "substance_use" && young {
				p = 0.5
			}
			assessable[i] = !chance(p)
		}
		// score is the item's score a share f of the way from baseline to
		// exit.
		score := func(i int, f float64) int8 {
			if !assessable[i] && !chance(0.4) {
				return -1
			}
			it := items[i]
			step := int(math.Round(f * float64(gain[i])))
			if it.kind == ItemRisk {
				step = -step
			}
			return int8(min(max(baseline[i]+step, it.min), it.max))
		}
		end := c.activated.AddDate(0, ProgramMonths, 0)
		if !c.ended.IsZero() {
			end = c.ended
		}
		add := func(occasion uint8, on time.Time, f float64) {
			as := synAssessment{id: uuidFrom(r, on), child: int32(ci), occasion: occasion, on: on, first: int32(len(a.scores))}
			for i := range items {
				a.scores = append(a.scores, score(i, f))
			}
			a.assessments = append(a.assessments, as)
		}
		start := c.activated.AddDate(0, 0, r.IntN(15))
		if start.Before(until) && chance(pBaseline) {
			add(0, start, 0)
		}
		for _, held := range reviews[int32(ci)] {
			if held.After(start) && held.Before(until) && chance(pReviewAssessed) {
				add(1, held, math.Min(1, float64(days(start, held))/math.Max(1, float64(days(start, end)))))
			}
		}
		switch c.status() {
		case StatusCompleted:
			if chance(pExitCompleted) {
				add(2, c.ended, 1)
			}
		case StatusEndedEarly:
			if chance(pExitEndedEarly) {
				add(2, c.ended, 1)
			}
		}
	}
	g.report.Assessments = len(a.assessments)
}

// uuidFrom draws a version 7 UUID for the time t from r (see uuidAt).
func uuidFrom(r *rand.Rand, t time.Time) [16]byte {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], r.Uint64())
	binary.LittleEndian.PutUint64(u[8:], r.Uint64())
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u
}
