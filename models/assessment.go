package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// Structured assessments (issue 17, SPEC §3 and §6 "Outcome measures"):
// each site keeps an instrument of items, each a risk or a resource scored
// on a fixed scale with an anchor text per point; the case staff score
// every current item at intake (the baseline), with the 8-week reviews and
// at the closing interview. An item never changes its meaning once it has
// been scored (migrations/00030_assessments.sql enforces it): a change of
// meaning makes a new version of the item.

// Item kinds: for a risk lower is better, for a resource higher is better.
const (
	ItemRisk     = "risk"
	ItemResource = "resource"
)

// ItemKinds are the kinds of an assessment item.
var ItemKinds = []string{ItemRisk, ItemResource}

// Assessment occasions: the baseline at intake, one with each case review,
// the exit at the closing interview.
const (
	OccasionIntake  = "intake"
	OccasionReview  = "review"
	OccasionClosing = "closing"
)

// Occasions are the occasions of an assessment, in case order.
var Occasions = []string{OccasionIntake, OccasionReview, OccasionClosing}

// Scale bounds of an item: points from 0 to 10, two to seven of them.
const (
	ScaleLowest    = 0
	ScaleHighest   = 10
	ScaleMaxPoints = 7
	// AnchorMax is the longest anchor text, in characters.
	AnchorMax = 200
	// AssessmentCommentMax is the longest comment of an assessment.
	AssessmentCommentMax = 20000
)

var itemCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// Anchors are the short texts that say what each scale point means, one
// per point from the lowest, in each interface language.
type Anchors struct {
	DE []string `json:"de"`
	EN []string `json:"en"`
	TR []string `json:"tr"`
	AR []string `json:"ar"`
}

// In returns the anchors in lang, German when lang is unknown.
func (a Anchors) In(lang string) []string {
	switch lang {
	case "en":
		return a.EN
	case "tr":
		return a.TR
	case "ar":
		return a.AR
	}
	return a.DE
}

// AssessmentItem is one item of a site's instrument.
type AssessmentItem struct {
	ID, SiteID, Code string
	Version          int
	// Replaces is the id of the version before, if any.
	Replaces           string
	Kind               string
	ScaleMin, ScaleMax int
	Labels             Labels
	Anchors            Anchors
	Sort               int
	RetiredAt          *time.Time
	// Scored says that a visible assessment scores the item: its meaning
	// is fixed (AssessmentItems with all only).
	Scored bool
}

// Current reports whether the form offers the item (it is not retired).
func (it *AssessmentItem) Current() bool { return it.RetiredAt == nil }

// Points are the item's scale points, lowest first.
func (it *AssessmentItem) Points() []int {
	out := make([]int, 0, it.ScaleMax-it.ScaleMin+1)
	for p := it.ScaleMin; p <= it.ScaleMax; p++ {
		out = append(out, p)
	}
	return out
}

// Anchor is the anchor text of score in lang, "" off the scale.
func (it *AssessmentItem) Anchor(score int, lang string) string {
	a := it.Anchors.In(lang)
	if i := score - it.ScaleMin; i >= 0 && i < len(a) {
		return a[i]
	}
	return ""
}

// Gain is the change from baseline to exit, positive when it is better:
// for a risk a lower score is better, for a resource a higher one. It is
// what the statistics average (stats_base.assessment_facts).
func Gain(kind string, baseline, exit int) int {
	if kind == ItemRisk {
		return baseline - exit
	}
	return exit - baseline
}

// AssessmentItemInput adds or revises an item (coordinators).
type AssessmentItemInput struct {
	Code               string
	Kind               string
	ScaleMin, ScaleMax int
	Labels             Labels
	Anchors            Anchors
}

// Validate checks an item's code, kind, scale, labels and anchors.
func (in *AssessmentItemInput) Validate() error {
	v := &ValidationError{}
	if !itemCodeRE.MatchString(in.Code) {
		v.Add("code", "validation.measure_code", nil)
	}
	if !contains(ItemKinds, in.Kind) {
		v.Add("kind", "validation.oneof", nil)
	}
	scaleOK := in.ScaleMin >= ScaleLowest && in.ScaleMax <= ScaleHighest && in.ScaleMax > in.ScaleMin &&
		in.ScaleMax-in.ScaleMin < ScaleMaxPoints
	if !scaleOK {
		v.Add("scale_max", "assessment.error.scale_range", map[string]any{"Lowest": ScaleLowest, "Highest": ScaleHighest, "Points": ScaleMaxPoints})
	}
	for field, name := range map[string]string{"name_de": in.Labels.DE, "name_en": in.Labels.EN, "name_tr": in.Labels.TR, "name_ar": in.Labels.AR} {
		if n := len([]rune(strings.TrimSpace(name))); n < 1 || n > 120 {
			v.Add(field, "validation.required", nil)
		}
	}
	if scaleOK {
		points := in.ScaleMax - in.ScaleMin + 1
		for _, l := range []struct {
			field string
			texts []string
		}{{"anchors_de", in.Anchors.DE}, {"anchors_en", in.Anchors.EN}, {"anchors_tr", in.Anchors.TR}, {"anchors_ar", in.Anchors.AR}} {
			ok := len(l.texts) == points
			for _, t := range l.texts {
				if n := len([]rune(strings.TrimSpace(t))); n < 1 || n > AnchorMax {
					ok = false
				}
			}
			if !ok {
				v.Add(l.field, "assessment.error.anchors", map[string]any{"Points": points, "Max": AnchorMax})
			}
		}
	}
	slices.SortStableFunc(v.Fields, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return v.OrNil()
}

// sameMeaning reports whether in says what it already says.
func (in *AssessmentItemInput) sameMeaning(it *AssessmentItem) bool {
	return in.Kind == it.Kind && in.ScaleMin == it.ScaleMin && in.ScaleMax == it.ScaleMax &&
		in.trimmed().Labels == it.Labels && anchorsEqual(in.trimmed().Anchors, it.Anchors)
}

func (in AssessmentItemInput) trimmed() AssessmentItemInput {
	t := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = strings.TrimSpace(x)
		}
		return out
	}
	in.Labels = Labels{strings.TrimSpace(in.Labels.DE), strings.TrimSpace(in.Labels.EN), strings.TrimSpace(in.Labels.TR), strings.TrimSpace(in.Labels.AR)}
	in.Anchors = Anchors{t(in.Anchors.DE), t(in.Anchors.EN), t(in.Anchors.TR), t(in.Anchors.AR)}
	return in
}

func anchorsEqual(a, b Anchors) bool {
	return slices.Equal(a.DE, b.DE) && slices.Equal(a.EN, b.EN) && slices.Equal(a.TR, b.TR) && slices.Equal(a.AR, b.AR)
}

type assessmentItemRow struct {
	ID, SiteID, Code   string
	Version            int
	Replaces           *string
	Kind               string
	ScaleMin, ScaleMax int
	NameDE             string `gorm:"column:name_de"`
	NameEN             string `gorm:"column:name_en"`
	NameTR             string `gorm:"column:name_tr"`
	NameAR             string `gorm:"column:name_ar"`
	Anchors            string
	Sort               int
	RetiredAt          *time.Time
	Scored             bool
}

func (r *assessmentItemRow) item() (AssessmentItem, error) {
	it := AssessmentItem{ID: r.ID, SiteID: r.SiteID, Code: r.Code, Version: r.Version, Replaces: deref(r.Replaces), Kind: r.Kind,
		ScaleMin: r.ScaleMin, ScaleMax: r.ScaleMax, Labels: Labels{r.NameDE, r.NameEN, r.NameTR, r.NameAR}, Sort: r.Sort,
		RetiredAt: r.RetiredAt, Scored: r.Scored}
	if err := json.Unmarshal([]byte(r.Anchors), &it.Anchors); err != nil {
		return it, fmt.Errorf("models: assessment item %s anchors: %w", r.Code, err)
	}
	return it, nil
}

const assessmentItemColumns = `i.id, i.site_id, i.code, i.version, i.replaces, i.kind, i.scale_min, i.scale_max,
	i.name_de, i.name_en, i.name_tr, i.name_ar, i.anchors::text AS anchors, i.sort, i.retired_at`

// AssessmentItems lists the instrument of the actor's site in its order:
// the current items, or with all the retired versions too (and whether
// each is scored).
func (s *Store) AssessmentItems(all bool) ([]AssessmentItem, error) {
	q := "SELECT " + assessmentItemColumns + ", false AS scored FROM prevention.assessment_items i WHERE i.site_id = ? AND i.retired_at IS NULL"
	if all {
		q = "SELECT " + assessmentItemColumns + `, EXISTS (SELECT 1 FROM prevention.assessment_scores sc WHERE sc.item_id = i.id) AS scored
			FROM prevention.assessment_items i WHERE i.site_id = ?`
	}
	var rows []assessmentItemRow
	if err := s.db.Raw(q+" ORDER BY i.retired_at IS NOT NULL, i.sort, i.code, i.version DESC", s.actor.SiteID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: assessment items: %w", err)
	}
	out := make([]AssessmentItem, 0, len(rows))
	for i := range rows {
		it, err := rows[i].item()
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// AssessmentItemByCode returns the current item with code at the actor's
// site, with whether it is scored.
func (s *Store) AssessmentItemByCode(code string) (*AssessmentItem, error) {
	all, err := s.AssessmentItems(true)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Code == code && all[i].Current() {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("models: assessment item %s: %w", code, ErrNotFound)
}

// CreateAssessmentItem adds an item at the end of the site's instrument. A
// code that a current item has is refused (see codeTaken); a retired
// code comes back as its next version.
func (s *Store) CreateAssessmentItem(in AssessmentItemInput) (*AssessmentItem, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	all, err := s.AssessmentItems(true)
	if err != nil {
		return nil, err
	}
	var latest *AssessmentItem
	for i := range all {
		it := &all[i]
		if it.Code != in.Code {
			continue
		}
		if it.Current() {
			return nil, codeTaken(in.Code, it.Labels.DE)
		}
		if latest == nil || it.Version > latest.Version {
			latest = it
		}
	}
	sort := 0
	for _, it := range all {
		if it.Current() {
			sort = max(sort, it.Sort+1)
		}
	}
	return s.insertAssessmentItem(in, latest, sort)
}

func (s *Store) insertAssessmentItem(in AssessmentItemInput, before *AssessmentItem, sort int) (*AssessmentItem, error) {
	in = in.trimmed()
	anchors, err := json.Marshal(in.Anchors)
	if err != nil {
		return nil, err
	}
	version, replaces := 1, (*string)(nil)
	if before != nil {
		version, replaces = before.Version+1, &before.ID
	}
	id := uuid.NewString()
	err = s.db.Exec(`INSERT INTO prevention.assessment_items (id, site_id, code, version, replaces, kind, scale_min, scale_max,
		name_de, name_en, name_tr, name_ar, anchors, sort, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
		id, s.actor.SiteID, in.Code, version, replaces, in.Kind, in.ScaleMin, in.ScaleMax, in.Labels.DE, in.Labels.EN, in.Labels.TR,
		in.Labels.AR, string(anchors), sort, nilIfEmpty(s.actor.UserID)).Error
	if isUniqueViolation(err) {
		return nil, codeTaken(in.Code, "")
	}
	if err != nil {
		return nil, fmt.Errorf("models: create assessment item: %w", err)
	}
	return s.AssessmentItemByCode(in.Code)
}

// ReviseAssessmentItem changes the meaning (kind, scale, labels, anchors)
// of the current item with code. An item nobody has scored yet is
// corrected in place; a scored one keeps its meaning, and the revision
// becomes its next version, which takes its place in the instrument while
// the old version is retired. It reports whether a new version was made.
func (s *Store) ReviseAssessmentItem(code string, in AssessmentItemInput) (*AssessmentItem, bool, error) {
	cur, err := s.AssessmentItemByCode(code)
	if err != nil {
		return nil, false, err
	}
	in.Code = code
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	if in.sameMeaning(cur) {
		return cur, false, nil
	}
	if !cur.Scored {
		// Scores of cases the actor cannot see (erased ones) count too: the
		// database refuses then, and the revision becomes a version after
		// all.
		done, err := s.correctAssessmentItem(cur, in)
		if err != nil || done {
			if err == nil {
				cur, err = s.AssessmentItemByCode(code)
			}
			return cur, false, err
		}
	}
	res := s.db.Exec("UPDATE prevention.assessment_items SET retired_at = now() WHERE id = ? AND retired_at IS NULL", cur.ID)
	if res.Error != nil {
		return nil, false, fmt.Errorf("models: retire assessment item %s: %w", code, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, false, fmt.Errorf("models: assessment item %s: %w", code, ErrConflict)
	}
	it, err := s.insertAssessmentItem(in, cur, cur.Sort)
	return it, err == nil, err
}

// correctAssessmentItem rewrites an unscored item in place. It returns
// false (and changes nothing) when the database finds the item scored.
func (s *Store) correctAssessmentItem(cur *AssessmentItem, in AssessmentItemInput) (bool, error) {
	in = in.trimmed()
	anchors, err := json.Marshal(in.Anchors)
	if err != nil {
		return false, err
	}
	if err := s.db.Exec("SAVEPOINT assessment_item_correct").Error; err != nil {
		return false, fmt.Errorf("models: assessment item %s: %w", cur.Code, err)
	}
	err = s.db.Exec(`UPDATE prevention.assessment_items SET kind = ?, scale_min = ?, scale_max = ?, name_de = ?, name_en = ?, name_tr = ?,
		name_ar = ?, anchors = ?::jsonb WHERE id = ?`, in.Kind, in.ScaleMin, in.ScaleMax, in.Labels.DE, in.Labels.EN, in.Labels.TR,
		in.Labels.AR, string(anchors), cur.ID).Error
	var pgErr *pgconn.PgError
	// object_in_use: the trigger's refusal; foreign_key_violation: the
	// scores' hold on the scale.
	if errors.As(err, &pgErr) && (pgErr.Code == "55006" || pgErr.Code == "23503") {
		if err := s.db.Exec("ROLLBACK TO SAVEPOINT assessment_item_correct").Error; err != nil {
			return false, fmt.Errorf("models: assessment item %s: %w", cur.Code, err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("models: correct assessment item %s: %w", cur.Code, err)
	}
	return true, s.db.Exec("RELEASE SAVEPOINT assessment_item_correct").Error
}

// RetireAssessmentItem takes the current item with code out of the form;
// its scores stay.
func (s *Store) RetireAssessmentItem(code string) (*AssessmentItem, error) {
	cur, err := s.AssessmentItemByCode(code)
	if err != nil {
		return nil, err
	}
	res := s.db.Exec("UPDATE prevention.assessment_items SET retired_at = now() WHERE id = ? AND retired_at IS NULL", cur.ID)
	if res.Error != nil {
		return nil, fmt.Errorf("models: retire assessment item %s: %w", code, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("models: assessment item %s: %w", code, ErrNotFound)
	}
	now := time.Now()
	cur.RetiredAt = &now
	return cur, nil
}

// AssessmentAllowed reports whether a case in status may be assessed on
// occasion: the baseline and the reviews while it is active, the exit
// while it is active or once it has been completed or ended early (the
// closing interview comes before or after the status change).
func AssessmentAllowed(occasion string, status Status) bool {
	if occasion == OccasionClosing {
		return status == StatusActive || status == StatusCompleted || status == StatusEndedEarly
	}
	return (occasion == OccasionIntake || occasion == OccasionReview) && status == StatusActive
}

// CheckScores checks the scores of an assessment (item code → score, nil
// for "not assessable") against the current items: every item has a
// score or nil, no code is unknown, and every score is a point of its
// item's scale. It returns the scores by item id.
func CheckScores(items []AssessmentItem, scores map[string]*float64) (map[string]*int, *ValidationError) {
	v := &ValidationError{}
	out := make(map[string]*int, len(items))
	if len(items) == 0 {
		v.Add("scores", "assessment.error.no_items", nil)
		return nil, v
	}
	byCode := make(map[string]*AssessmentItem, len(items))
	for i := range items {
		it := &items[i]
		byCode[it.Code] = it
		score, ok := scores[it.Code]
		switch {
		case !ok:
			v.Add("scores."+it.Code, "assessment.error.missing", map[string]any{"Item": it.Labels})
		case score == nil:
			out[it.ID] = nil
		case *score != math.Trunc(*score) || *score < float64(it.ScaleMin) || *score > float64(it.ScaleMax):
			v.Add("scores."+it.Code, "assessment.error.scale", map[string]any{"Item": it.Labels, "Min": it.ScaleMin, "Max": it.ScaleMax})
		default:
			n := int(*score)
			out[it.ID] = &n
		}
	}
	var unknown []string
	for code := range scores {
		if byCode[code] == nil {
			unknown = append(unknown, code)
		}
	}
	slices.Sort(unknown)
	for _, code := range unknown {
		if itemCodeRE.MatchString(code) {
			v.Add("scores."+code, "assessment.error.unknown", map[string]any{"Code": code})
		} else {
			v.Add("scores", "assessment.error.unknown_code", nil)
		}
	}
	if len(v.Fields) > 0 {
		return nil, v
	}
	return out, nil
}

// AssessmentInput is one assessment as recorded.
type AssessmentInput struct {
	Occasion string
	// AssessedOn is the day of the assessment; zero: today.
	AssessedOn time.Time
	// Scores maps every current item's code to its score, nil for "not
	// assessable".
	Scores  map[string]*float64
	Comment string
}

// Assessment is a recorded assessment.
type Assessment struct {
	ID, ParticipantID, Occasion string
	AssessedOn                  time.Time
	Comment                     string
	CreatedAt                   time.Time
	// Scores maps item id to score (nil: not assessable).
	Scores map[string]*int
}

const assessmentsTable = "prevention.assessments"

// RecordAssessment scores every current item of the participant's site
// for one occasion. The baseline and the reviews need an active case with
// valid participation consent (like any casework, SPEC §4); the exit an
// active, completed or early-ended one.
func (s *Store) RecordAssessment(participantID string, in AssessmentInput, today time.Time) (*Assessment, []AssessmentItem, error) {
	p, err := s.ParticipantByID(participantID)
	if err != nil {
		return nil, nil, err
	}
	v := &ValidationError{}
	switch {
	case !contains(Occasions, in.Occasion):
		v.Add("occasion", "validation.oneof", nil)
	case !AssessmentAllowed(in.Occasion, p.Status):
		v.Add("occasion", "assessment.error.status", map[string]any{"Status": string(p.Status)})
	}
	on := dateOf(today)
	if !in.AssessedOn.IsZero() {
		on = dateOf(in.AssessedOn)
	}
	if p.ActivatedOn != nil {
		v.DayWithin("assessed_on", on, *p.ActivatedOn, today)
	} else {
		v.DayWithin("assessed_on", on, today.AddDate(-1, 0, 0), today)
	}
	if len([]rune(in.Comment)) > AssessmentCommentMax {
		v.Add("comment", "validation.max", map[string]any{"Param": AssessmentCommentMax})
	}
	items, err := s.AssessmentItems(false)
	if err != nil {
		return nil, nil, err
	}
	scores, sv := CheckScores(items, in.Scores)
	if sv != nil {
		v.Fields = append(v.Fields, sv.Fields...)
	}
	if err := v.OrNil(); err != nil {
		return nil, nil, err
	}
	if in.Occasion != OccasionClosing {
		missing, err := s.MissingConsent(p, today)
		if err != nil {
			return nil, nil, err
		}
		if len(missing) > 0 {
			return nil, nil, &ConsentError{Missing: missing}
		}
	}
	id := uuid.NewString()
	enc, err := s.seal(assessmentsTable, "comment", id, in.Comment)
	if err != nil {
		return nil, nil, err
	}
	if err := s.db.Exec(`INSERT INTO prevention.assessments (id, participant_id, site_id, occasion, assessed_on, comment_enc, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, p.ID, p.SiteID, in.Occasion, on, enc, nilIfEmpty(s.actor.UserID)).Error; err != nil {
		return nil, nil, fmt.Errorf("models: record assessment: %w", err)
	}
	values := make([]string, 0, len(items))
	args := make([]any, 0, 6*len(items))
	for _, it := range items {
		values = append(values, "(?, ?, ?, ?, ?, ?)")
		args = append(args, id, it.ID, it.SiteID, it.ScaleMin, it.ScaleMax, scores[it.ID])
	}
	if err := s.db.Exec(`INSERT INTO prevention.assessment_scores (assessment_id, item_id, site_id, scale_min, scale_max, score)
		VALUES `+strings.Join(values, ", "), args...).Error; err != nil {
		return nil, nil, fmt.Errorf("models: record assessment scores: %w", err)
	}
	return &Assessment{ID: id, ParticipantID: p.ID, Occasion: in.Occasion, AssessedOn: on, Comment: strings.TrimSpace(in.Comment),
		CreatedAt: time.Now(), Scores: scores}, items, nil
}

// AssessmentCourse is what the case page shows of a case's assessments:
// every item the case was scored on and every current item, in the
// instrument's order, and the assessments, oldest first.
type AssessmentCourse struct {
	Items       []AssessmentItem
	Assessments []Assessment
}

// HasBaseline reports whether the case has an intake assessment.
func (c *AssessmentCourse) HasBaseline() bool {
	return slices.ContainsFunc(c.Assessments, func(a Assessment) bool { return a.Occasion == OccasionIntake })
}

// AssessmentCourse reads the assessments of a visible participant and
// their items, in two statements.
func (s *Store) AssessmentCourse(participantID string) (*AssessmentCourse, error) {
	if _, err := uuid.Parse(participantID); err != nil {
		return nil, fmt.Errorf("models: participant %s: %w", participantID, ErrNotFound)
	}
	var rows []struct {
		ID, ParticipantID, Occasion string
		AssessedOn                  time.Time
		CommentEnc                  *string
		CreatedAt                   time.Time
		Scores                      string
	}
	err := s.db.Raw(`SELECT a.id, a.participant_id, a.occasion, a.assessed_on, a.comment_enc, a.created_at,
			coalesce(jsonb_object_agg(sc.item_id, sc.score) FILTER (WHERE sc.item_id IS NOT NULL), '{}')::text AS scores
		FROM prevention.assessments a LEFT JOIN prevention.assessment_scores sc ON sc.assessment_id = a.id
		WHERE a.participant_id = ?
		GROUP BY a.id ORDER BY a.assessed_on, a.created_at, a.id`, participantID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: assessments: %w", err)
	}
	c := &AssessmentCourse{}
	used := map[string]bool{}
	for _, r := range rows {
		comment, err := s.open(assessmentsTable, "comment", r.ID, r.CommentEnc)
		if err != nil {
			return nil, err
		}
		a := Assessment{ID: r.ID, ParticipantID: r.ParticipantID, Occasion: r.Occasion, AssessedOn: r.AssessedOn, Comment: comment,
			CreatedAt: r.CreatedAt}
		if err := json.Unmarshal([]byte(r.Scores), &a.Scores); err != nil {
			return nil, fmt.Errorf("models: assessment %s scores: %w", r.ID, err)
		}
		for id := range a.Scores {
			used[id] = true
		}
		c.Assessments = append(c.Assessments, a)
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var items []assessmentItemRow
	err = s.db.Raw("SELECT "+assessmentItemColumns+`, false AS scored FROM prevention.assessment_items i
		WHERE i.site_id = (SELECT p.site_id FROM prevention.participants p WHERE p.id = ?) AND (i.retired_at IS NULL OR i.id = ANY (?::uuid[]))
		ORDER BY i.sort, i.code, i.version`, participantID, arrayLiteral(ids)).Scan(&items).Error
	if err != nil {
		return nil, fmt.Errorf("models: assessment items: %w", err)
	}
	for i := range items {
		it, err := items[i].item()
		if err != nil {
			return nil, err
		}
		c.Items = append(c.Items, it)
	}
	return c, nil
}
