package models_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// instrument gives the coordinator's site the demo instrument (ten items,
// scale 1 to 5).
func (w *world) instrument(coord string) {
	w.t.Helper()
	w.must(coord, func(st *models.Store) error { return st.SeedDemoAssessmentItems() })
}

// scoresOf scores every current item of the user's site with score (nil:
// not assessable).
func (w *world) scoresOf(user string, score *float64) map[string]*float64 {
	w.t.Helper()
	out := map[string]*float64{}
	w.must(user, func(st *models.Store) error {
		items, err := st.AssessmentItems(false)
		for _, it := range items {
			out[it.Code] = score
		}
		return err
	})
	return out
}

// assess records an assessment of every item at 3 as user and returns its
// id.
func (w *world) assess(user, participantID, occasion string) string {
	w.t.Helper()
	var id string
	scores := w.scoresOf(user, ptr(3.0))
	w.must(user, func(st *models.Store) error {
		a, _, err := st.RecordAssessment(participantID, models.AssessmentInput{Occasion: occasion, Scores: scores}, today)
		if a != nil {
			id = a.ID
		}
		return err
	})
	return id
}

// sqlAs runs sql as user under their side's role and settings, keeping
// what it did, and returns the error.
func userSQL(w *world, user, sql string, args ...any) error {
	u := w.users[user]
	return sqlAs(w, u.Role.DBRole(), models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role, Today: today}, nil, sql, args...)
}

func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

func fieldsOf(err error) []string {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field+"="+f.MessageID)
	}
	return out
}

// validItem is a valid item input of three points.
func validItem(code string) models.AssessmentItemInput {
	three := []string{"wenig", "mittel", "viel"}
	return models.AssessmentItemInput{Code: code, Kind: models.ItemResource, ScaleMin: 1, ScaleMax: 3,
		Labels:  models.Labels{DE: "Mut", EN: "Courage", TR: "Cesaret", AR: "الشجاعة"},
		Anchors: models.Anchors{DE: three, EN: []string{"little", "some", "much"}, TR: []string{"az", "orta", "çok"}, AR: []string{"قليل", "متوسط", "كثير"}}}
}

// TestAssessmentItemValidate: an item needs a code, a kind, a scale of two
// to seven points between 0 and 10, four labels and an anchor per point in
// each language.
func TestAssessmentItemValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*models.AssessmentItemInput)
		field  string
	}{
		{"valid", func(*models.AssessmentItemInput) {}, ""},
		{"code", func(in *models.AssessmentItemInput) { in.Code = "Mut!" }, "code"},
		{"kind", func(in *models.AssessmentItemInput) { in.Kind = "danger" }, "kind"},
		{"one point", func(in *models.AssessmentItemInput) { in.ScaleMax = 1 }, "scale_max"},
		{"eight points", func(in *models.AssessmentItemInput) { in.ScaleMin, in.ScaleMax = 0, 7 }, "scale_max"},
		{"above 10", func(in *models.AssessmentItemInput) { in.ScaleMin, in.ScaleMax = 9, 11 }, "scale_max"},
		{"below 0", func(in *models.AssessmentItemInput) { in.ScaleMin = -1 }, "scale_max"},
		{"label", func(in *models.AssessmentItemInput) { in.Labels.AR = " " }, "name_ar"},
		{"anchors missing", func(in *models.AssessmentItemInput) { in.Anchors.TR = in.Anchors.TR[:2] }, "anchors_tr"},
		{"anchor empty", func(in *models.AssessmentItemInput) { in.Anchors.EN = []string{"a", "", "c"} }, "anchors_en"},
		{"anchor long", func(in *models.AssessmentItemInput) {
			in.Anchors.DE = []string{"a", strings.Repeat("x", models.AnchorMax+1), "c"}
		}, "anchors_de"},
		{"anchors of another scale", func(in *models.AssessmentItemInput) { in.ScaleMax = 4 }, "anchors_ar"},
	} {
		in := validItem("mut")
		c.change(&in)
		err := in.Validate()
		got := fieldsOf(err)
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, got)
		case c.field != "" && !slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, c.field+"=") }):
			t.Errorf("%s: want an error on %s, got %v", c.name, c.field, got)
		}
	}
}

// TestCheckScores: every current item is scored or not assessable, no
// code is unknown, every score is a whole point of its item's scale.
func TestCheckScores(t *testing.T) {
	items := []models.AssessmentItem{
		{ID: "a", Code: "aggression", Kind: models.ItemRisk, ScaleMin: 1, ScaleMax: 5},
		{ID: "b", Code: "leisure", Kind: models.ItemResource, ScaleMin: 0, ScaleMax: 3},
	}
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		name   string
		scores map[string]*float64
		want   []string // fields with errors; nil: valid
	}{
		{"all scored", map[string]*float64{"aggression": f(1), "leisure": f(3)}, nil},
		{"not assessable", map[string]*float64{"aggression": nil, "leisure": f(0)}, nil},
		{"missing", map[string]*float64{"aggression": f(2)}, []string{"scores.leisure"}},
		{"unknown", map[string]*float64{"aggression": f(2), "leisure": f(1), "courage": f(1)}, []string{"scores.courage"}},
		{"unknown, not a code", map[string]*float64{"aggression": f(2), "leisure": f(1), "<b>": f(1)}, []string{"scores"}},
		{"below the scale", map[string]*float64{"aggression": f(0), "leisure": f(1)}, []string{"scores.aggression"}},
		{"above the scale", map[string]*float64{"aggression": f(5), "leisure": f(4)}, []string{"scores.leisure"}},
		{"between points", map[string]*float64{"aggression": f(2.5), "leisure": f(1)}, []string{"scores.aggression"}},
		{"not a number", map[string]*float64{"aggression": f(math.NaN()), "leisure": f(1)}, []string{"scores.aggression"}},
	} {
		got, v := models.CheckScores(items, c.scores)
		var fields []string
		if v != nil {
			for _, fe := range v.Fields {
				fields = append(fields, fe.Field)
			}
		}
		if !slices.Equal(fields, c.want) {
			t.Errorf("%s: errors on %v, want %v", c.name, fields, c.want)
		}
		if c.want == nil && len(got) != len(items) {
			t.Errorf("%s: scores %v", c.name, got)
		}
	}
	if _, v := models.CheckScores(nil, map[string]*float64{}); v == nil || v.Fields[0].MessageID != "assessment.error.no_items" {
		t.Errorf("no instrument: %+v", v)
	}
	got, _ := models.CheckScores(items, map[string]*float64{"aggression": nil, "leisure": f(2)})
	if got["a"] != nil || got["b"] == nil || *got["b"] != 2 {
		t.Errorf("scores by item id: %v", got)
	}
}

// TestAssessmentAllowed: baseline and reviews while active, the exit also
// after the case has ended (completed or early).
func TestAssessmentAllowed(t *testing.T) {
	for _, st := range models.Statuses {
		for _, o := range models.Occasions {
			want := st == models.StatusActive ||
				o == models.OccasionClosing && (st == models.StatusCompleted || st == models.StatusEndedEarly)
			if got := models.AssessmentAllowed(o, st); got != want {
				t.Errorf("%s in %s: %v, want %v", o, st, got, want)
			}
		}
	}
	if models.AssessmentAllowed("follow_up", models.StatusActive) {
		t.Error("an unknown occasion is allowed")
	}
}

// TestGain: positive is better; lower is better for a risk, higher for a
// resource.
func TestGain(t *testing.T) {
	for _, c := range []struct {
		kind           string
		baseline, exit int
		want           int
	}{
		{models.ItemRisk, 4, 2, 2}, {models.ItemRisk, 2, 4, -2}, {models.ItemRisk, 3, 3, 0},
		{models.ItemResource, 2, 5, 3}, {models.ItemResource, 5, 2, -3}, {models.ItemResource, 1, 1, 0},
	} {
		if got := models.Gain(c.kind, c.baseline, c.exit); got != c.want {
			t.Errorf("%s %d → %d: %d, want %d", c.kind, c.baseline, c.exit, got, c.want)
		}
	}
}

// TestAssessmentInstrument: coordinators keep their site's instrument;
// social workers read it; an unscored item is corrected in place, a
// scored one gets a new version and keeps its meaning; a retired code
// comes back as its next version.
func TestAssessmentInstrument(t *testing.T) {
	w := newWorld(t)
	w.instrument("coord")
	p := w.activeCase("Instrument", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	var items []models.AssessmentItem
	w.must("sw", func(st *models.Store) (err error) { items, err = st.AssessmentItems(false); return err })
	if len(items) != 10 || items[0].Code != "aggression" || items[0].Kind != models.ItemRisk || len(items[0].Anchors.AR) != 5 ||
		items[0].Anchor(5, "de") != "Wiederholt körperliche Gewalt" || items[0].Labels.Name("tr") != "Saldırgan davranış" {
		t.Fatalf("demo instrument: %d items, first %+v", len(items), items[0])
	}
	// Only coordinators add, and not a code the instrument has.
	if err := w.as("sw", func(st *models.Store) error { _, err := st.CreateAssessmentItem(validItem("mut")); return err }); !models.IsPermissionDenied(err) {
		t.Errorf("a social worker adds an item: %v", err)
	}
	err := w.as("coord", func(st *models.Store) error { _, err := st.CreateAssessmentItem(validItem("leisure")); return err })
	if got := fieldsOf(err); !slices.Equal(got, []string{"code=validation.code_taken"}) {
		t.Errorf("an existing code: %v", got)
	}
	w.must("coord", func(st *models.Store) error { _, err := st.CreateAssessmentItem(validItem("mut")); return err })

	// Unscored: corrected in place.
	revised := validItem("mut")
	revised.Labels.DE = "Mut und Zuversicht"
	w.must("coord", func(st *models.Store) error {
		it, newVersion, err := st.ReviseAssessmentItem("mut", revised)
		if err == nil && (newVersion || it.Version != 1 || it.Labels.DE != "Mut und Zuversicht") {
			t.Errorf("unscored revision: %v %+v", newVersion, it)
		}
		return err
	})
	// Scored: a new version in its place, the old one retired and kept.
	scores := w.scoresOf("sw", ptr(2.0))
	w.must("sw", func(st *models.Store) error {
		_, _, err := st.RecordAssessment(p.ID, models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores}, today)
		return err
	})
	revised.Anchors.DE = []string{"kaum", "etwas", "sehr"}
	var v2 *models.AssessmentItem
	w.must("coord", func(st *models.Store) error {
		it, newVersion, err := st.ReviseAssessmentItem("mut", revised)
		if err == nil && (!newVersion || it.Version != 2 || it.Replaces == "" || it.Anchors.DE[2] != "sehr") {
			t.Errorf("scored revision: %v %+v", newVersion, it)
		}
		v2 = it
		return err
	})
	w.must("coord", func(st *models.Store) error {
		all, err := st.AssessmentItems(true)
		var old *models.AssessmentItem
		for i := range all {
			if all[i].Code == "mut" && all[i].Version == 1 {
				old = &all[i]
			}
		}
		if old == nil || old.Current() || !old.Scored || old.Anchors.DE[0] != "wenig" || old.ID != v2.Replaces {
			t.Errorf("version 1 after the revision: %+v", old)
		}
		cur, err2 := st.AssessmentItems(false)
		n := 0
		for _, it := range cur {
			if it.Code == "mut" {
				n++
			}
		}
		if n != 1 || len(cur) != 11 {
			t.Errorf("current instrument: %d items, %d of them mut", len(cur), n)
		}
		return errors.Join(err, err2)
	})
	// Nothing changed is no revision.
	w.must("coord", func(st *models.Store) error {
		it, newVersion, err := st.ReviseAssessmentItem("mut", revised)
		if err == nil && (newVersion || it.Version != 2) {
			t.Errorf("same meaning: %v %+v", newVersion, it)
		}
		return err
	})
	// Retired, then back as the next version.
	w.must("coord", func(st *models.Store) error { _, err := st.RetireAssessmentItem("mut"); return err })
	w.must("coord", func(st *models.Store) error {
		if _, err := st.AssessmentItemByCode("mut"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a retired item is current: %v", err)
		}
		it, err := st.CreateAssessmentItem(validItem("mut"))
		if err == nil && (it.Version != 3 || it.Replaces != v2.ID) {
			t.Errorf("back after retiring: %+v", it)
		}
		return err
	})
	// Another site's coordinator sees none of it.
	w.must("coordDU", func(st *models.Store) error {
		all, err := st.AssessmentItems(true)
		if len(all) != 0 {
			t.Errorf("Duisburg sees %d items of Essen", len(all))
		}
		return err
	})
}

// TestAssessmentItemMeaningKept: once an item is scored, PostgreSQL itself
// refuses any change of its kind, labels, anchors or scale, whoever asks
// and however; order and retirement may change. Scores of an erased case
// count too.
func TestAssessmentItemMeaningKept(t *testing.T) {
	w := newWorld(t)
	w.instrument("coord")
	p := w.activeCase("Bedeutung", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	w.assess("sw", p.ID, models.OccasionIntake)
	var scored, fresh string
	w.must("coord", func(st *models.Store) error {
		it, err := st.AssessmentItemByCode("aggression")
		if err != nil {
			return err
		}
		scored = it.ID
		in := validItem("unscored")
		_, err = st.CreateAssessmentItem(in)
		if err != nil {
			return err
		}
		it, err = st.AssessmentItemByCode("unscored")
		if err == nil {
			fresh = it.ID
		}
		return err
	})
	changes := map[string]string{
		"label":   "UPDATE prevention.assessment_items SET name_de = 'Gewalt' WHERE id = ?",
		"English": "UPDATE prevention.assessment_items SET name_en = 'Violence' WHERE id = ?",
		"anchors": `UPDATE prevention.assessment_items SET anchors = jsonb_set(anchors, '{de,0}', '"keine Gewalt"') WHERE id = ?`,
		"kind":    "UPDATE prevention.assessment_items SET kind = 'resource' WHERE id = ?",
	}
	for what, sql := range changes {
		if err := userSQL(w, "coord", sql, scored); sqlState(err) != "55006" {
			t.Errorf("%s of a scored item changed: %v", what, err)
		}
		if err := userSQL(w, "coord", sql, fresh); err != nil {
			t.Errorf("%s of an unscored item: %v", what, err)
		}
	}
	if err := userSQL(w, "coord", "UPDATE prevention.assessment_items SET scale_max = 6 WHERE id = ?", scored); err == nil {
		t.Error("the scale of a scored item changed")
	}
	for _, sql := range []string{"UPDATE prevention.assessment_items SET sort = sort + 20 WHERE id = ?",
		"UPDATE prevention.assessment_items SET retired_at = now() WHERE id = ?"} {
		if err := userSQL(w, "coord", sql, scored); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
	// An item scored only in a case that is erased since keeps its meaning.
	w.must("coord", func(st *models.Store) error {
		_, err := st.CreateAssessmentItem(validItem("erased"))
		return err
	})
	q := w.activeCase("Geloescht", time.Date(2013, 2, 2, 0, 0, 0, 0, time.UTC))
	w.assess("sw", q.ID, models.OccasionIntake)
	var erasedItem string
	w.must("coord", func(st *models.Store) error {
		it, err := st.AssessmentItemByCode("erased")
		if err == nil {
			erasedItem = it.ID
		}
		return err
	})
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.participants SET status = 'ended_early', end_reason = 'moved' WHERE id = ?", q.ID)
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, q.ID); err != nil {
		t.Fatal(err)
	}
	// Erased: no score is visible any more, and the comment is gone.
	w.must("coord", func(st *models.Store) error {
		it, err := st.AssessmentItemByCode("erased")
		if err == nil && it.Scored {
			t.Error("an erased case's score is visible")
		}
		return err
	})
	if err := userSQL(w, "coord", changes["label"], erasedItem); sqlState(err) != "55006" {
		t.Errorf("the label of an item scored in an erased case changed: %v", err)
	}
	// The revision becomes a new version all the same.
	in := validItem("erased")
	in.Labels.DE = "Mut (neu)"
	w.must("coord", func(st *models.Store) error {
		it, newVersion, err := st.ReviseAssessmentItem("erased", in)
		if err == nil && (!newVersion || it.Version != 2) {
			t.Errorf("revision of an item scored in an erased case: %v %+v", newVersion, it)
		}
		return err
	})
}

// TestRecordAssessment: the assigned social worker records assessments of
// every current item; missing, unknown and off-scale scores are refused
// with one error each; the comment is sealed; the occasion must fit the
// case's status; the course lists them in order; another social worker
// sees nothing of it.
func TestRecordAssessment(t *testing.T) {
	w := newWorld(t)
	w.instrument("coord")
	p := w.activeCase("Verlauf", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	scores := w.scoresOf("sw", ptr(4.0))
	scores["substance_use"] = nil
	record := func(user string, in models.AssessmentInput) (*models.Assessment, error) {
		var a *models.Assessment
		err := w.as(user, func(st *models.Store) (err error) {
			a, _, err = st.RecordAssessment(p.ID, in, today)
			return err
		})
		return a, err
	}
	bad := map[string]*float64{}
	for k, v := range scores {
		bad[k] = v
	}
	delete(bad, "leisure")
	bad["aggression"] = ptr(6.0)
	bad["courage"] = ptr(1.0)
	_, err := record("sw", models.AssessmentInput{Occasion: models.OccasionIntake, Scores: bad})
	if got := fieldsOf(err); !slices.Equal(got, []string{"scores.aggression=assessment.error.scale", "scores.leisure=assessment.error.missing",
		"scores.courage=assessment.error.unknown"}) {
		t.Errorf("bad scores: %v", got)
	}
	_, err = record("sw", models.AssessmentInput{Occasion: "follow_up", Scores: scores, AssessedOn: today.AddDate(0, 0, 1)})
	if got := fieldsOf(err); !slices.Equal(got, []string{"occasion=validation.oneof", "assessed_on=validation.date_range"}) {
		t.Errorf("bad occasion and day: %v", got)
	}
	if _, err := record("sw2", models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a colleague's case: %v", err)
	}
	base, err := record("sw", models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores, AssessedOn: today.AddDate(0, 0, -5),
		Comment: "Mutter berichtet von Streit in der Schule"})
	if err != nil {
		t.Fatalf("%v %v", err, fieldsOf(err))
	}
	scores["leisure"] = ptr(5.0)
	if _, err := record("coord", models.AssessmentInput{Occasion: models.OccasionReview, Scores: scores}); err != nil {
		t.Fatalf("the coordinator's review: %v", err)
	}
	var sealed string
	w.db.Gorm.Raw("SELECT comment_enc FROM prevention.assessments WHERE id = ?", base.ID).Scan(&sealed)
	if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, "Streit") {
		t.Errorf("the comment is stored as %q", sealed)
	}
	w.must("sw", func(st *models.Store) error {
		c, err := st.AssessmentCourse(p.ID)
		if err != nil {
			return err
		}
		if len(c.Assessments) != 2 || c.Assessments[0].Occasion != models.OccasionIntake || c.Assessments[1].Occasion != models.OccasionReview ||
			c.Assessments[0].Comment != "Mutter berichtet von Streit in der Schule" || len(c.Items) != 10 || !c.HasBaseline() {
			t.Errorf("course %+v", c)
		}
		for _, it := range c.Items {
			got := c.Assessments[1].Scores[it.ID]
			want := scores[it.Code]
			if (got == nil) != (want == nil) || got != nil && float64(*got) != *want {
				t.Errorf("review score of %s: %v, want %v", it.Code, got, want)
			}
		}
		return nil
	})
	w.must("sw2", func(st *models.Store) error {
		c, err := st.AssessmentCourse(p.ID)
		if err == nil && len(c.Assessments) != 0 {
			t.Errorf("a colleague reads %d assessments", len(c.Assessments))
		}
		return err
	})
	// The exit after the case has ended (early); no baseline any more then.
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.participants SET status = 'ended_early', end_reason = 'moved' WHERE id = ?", p.ID)
	if _, err := record("sw", models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores}); !slices.Equal(fieldsOf(err),
		[]string{"occasion=assessment.error.status"}) {
		t.Errorf("a baseline of an ended case: %v", err)
	}
	if _, err := record("sw", models.AssessmentInput{Occasion: models.OccasionClosing, Scores: scores}); err != nil {
		t.Errorf("the exit of a case ended early: %v", err)
	}
}

// TestAssessmentConsentGate: the baseline needs valid participation
// consent like any casework.
func TestAssessmentConsentGate(t *testing.T) {
	w := newWorld(t)
	w.instrument("coord")
	p := w.activeCase("Widerruf", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	scores := w.scoresOf("sw", ptr(3.0))
	// The consent ran out yesterday (withdrawal would end the case).
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.consents SET expires_on = ? WHERE participant_id = ?", today.AddDate(0, 0, -1), p.ID)
	err := w.as("sw", func(st *models.Store) error {
		_, _, err := st.RecordAssessment(p.ID, models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores}, today)
		return err
	})
	var ce *models.ConsentError
	if !errors.As(err, &ce) {
		t.Errorf("a baseline without consent: %v", err)
	}
}

// TestAssessmentCaseFacts: an active case without a baseline is a fact of
// the start page until its intake assessment is recorded.
func TestAssessmentCaseFacts(t *testing.T) {
	w := newWorld(t)
	w.instrument("coord")
	p := w.activeCase("Ohne", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	noBaseline := func() bool {
		var facts []models.CaseFact
		w.must("coord", func(st *models.Store) (err error) { facts, err = st.CaseFacts(today, true); return err })
		for _, f := range facts {
			if f.ID == p.ID {
				if f.ActivatedOn == nil {
					t.Error("an active case without its activation day")
				}
				return f.NoBaseline
			}
		}
		t.Fatal("the case is not among the facts")
		return false
	}
	if !noBaseline() {
		t.Error("an active case without assessment has a baseline")
	}
	w.assess("sw", p.ID, models.OccasionReview)
	if !noBaseline() {
		t.Error("a review counts as the baseline")
	}
	w.assess("sw", p.ID, models.OccasionIntake)
	if noBaseline() {
		t.Error("the baseline is not seen")
	}
}

// pair is one participant's scores of an item: baseline and exit (-1: not
// assessable).
type pair struct{ baseline, exit int }

// insertAssessments writes, as the owner, an intake and a closing
// assessment of each of the site's participants whose case number starts
// with prefix, scoring the given items of the site (created on first
// use, scale 1 to 5), and refreshes the statistics.
func insertAssessments(t *testing.T, db *gorm.DB, site, prefix string, items map[string]string, scores map[string]pair) {
	t.Helper()
	var ids []string
	db.Raw("SELECT p.id FROM prevention.participants p JOIN org.sites s ON s.id = p.site_id WHERE s.code = ? AND p.case_number LIKE ? ORDER BY p.case_number",
		site, prefix+"%").Scan(&ids)
	if len(ids) == 0 {
		t.Fatalf("no participants %s at %s", prefix, site)
	}
	anchors := `{"de":["1","2","3","4","5"],"en":["1","2","3","4","5"],"tr":["1","2","3","4","5"],"ar":["1","2","3","4","5"]}`
	for code, kind := range items {
		dbtest.Exec(t, db, `INSERT INTO prevention.assessment_items (site_id, code, kind, scale_min, scale_max, name_de, name_en, name_tr, name_ar, anchors)
			SELECT id, ?, ?, 1, 5, 'DE '||?, 'EN '||?, 'TR '||?, 'AR '||?, ?::jsonb FROM org.sites WHERE code = ?
			ON CONFLICT DO NOTHING`, code, kind, code, code, code, code, anchors, site)
	}
	for _, id := range ids {
		for i, occasion := range []string{"intake", "closing"} {
			var aid string
			db.Raw(`INSERT INTO prevention.assessments (id, participant_id, site_id, occasion, assessed_on)
				SELECT gen_random_uuid(), id, site_id, ?, ? FROM prevention.participants WHERE id = ? RETURNING id`,
				occasion, today.AddDate(0, -6+5*i, 0), id).Scan(&aid)
			for code, pr := range scores {
				s := any(pr.baseline)
				if i == 1 {
					s = pr.exit
				}
				if s == -1 {
					s = nil
				}
				dbtest.Exec(t, db, `INSERT INTO prevention.assessment_scores (assessment_id, item_id, site_id, scale_min, scale_max, score)
					SELECT ?, i.id, i.site_id, i.scale_min, i.scale_max, ? FROM prevention.assessment_items i JOIN org.sites s ON s.id = i.site_id
					WHERE s.code = ? AND i.code = ?`, aid, s, site, code)
			}
		}
	}
}

func refresh(t *testing.T, db *gorm.DB) {
	t.Helper()
	if ok, err := models.RefreshStatistics(t.Context(), db); err != nil || !ok {
		t.Fatalf("refresh: %v %v", ok, err)
	}
}

// statsRows runs a query of the statistics functions as kurve_statistics.
func statsRows[T any](t *testing.T, db *gorm.DB, sql string, args ...any) []T {
	t.Helper()
	var out []T
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE kurve_statistics").Error; err != nil {
			return err
		}
		return tx.Raw(sql, args...).Scan(&out).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAssessmentOutcomes: the assessment measures of the outcome table and
// the per-item table: the mean sign-normalised change from baseline to
// exit and the shares improved, unchanged and worse, for children with
// evaluation consent only, nothing of fewer than k (never below 3), with
// complementary suppression of the counts.
func TestAssessmentOutcomes(t *testing.T) {
	tdb := dbtest.New(t)
	db := tdb.Gorm
	base := fact{site: "ES", entry: time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC), age: 12, gender: "male", reason: "violence",
		status: models.StatusCompleted, evaluation: true}
	noConsent := base
	noConsent.evaluation = false
	du, do := base, base
	du.site, do.site = "DU", "DO"
	insertFacts(t, db, slices.Concat(repeat(6, base), repeat(4, noConsent), repeat(2, du), repeat(3, do)))
	items := map[string]string{"aggression": models.ItemRisk, "leisure": models.ItemResource, "substance_use": models.ItemRisk}
	// ES: aggression falls by 2 (gain 2), leisure rises by 1 (gain 1),
	// substance use not assessable at exit (no pair): a mean gain of 1.5.
	es := map[string]pair{"aggression": {4, 2}, "leisure": {2, 3}, "substance_use": {2, -1}}
	insertAssessments(t, db, "ES", "ES-T-", items, es)
	// DU (2 people) and DO (3 people) got worse by one point.
	worse := map[string]pair{"aggression": {2, 3}, "leisure": {3, 3}}
	insertAssessments(t, db, "DU", "DU-T-", items, worse)
	insertAssessments(t, db, "DO", "DO-T-", items, worse)
	refresh(t, db)

	tbl := outcomes(t, db, models.StatsQuery{By: []string{"site"}, K: 5})
	if got, ok := measure(rowByKey(tbl, "ES"), "assessed"); !ok || got != 6 {
		t.Errorf("assessed at ES: %v %v, want 6 (evaluation consent only)", got, ok)
	}
	if got, ok := measure(rowByKey(tbl, "ES"), "assessment_change"); !ok || got != 1.5 {
		t.Errorf("change at ES: %v %v, want 1.5", got, ok)
	}
	// DU and DO are below k: hidden, both, so that the total gives neither
	// away.
	for _, key := range []any{"DU", "DO"} {
		r := rowByKey(tbl, key)
		for _, m := range models.AssessmentMeasures {
			if r.Measures[m] != nil || !slices.Contains(r.Suppressed, m) {
				t.Errorf("%v shows %s: %+v", key, m, r)
			}
		}
	}
	if got, ok := measure(rowByKey(tbl, nil), "assessed"); !ok || got != 11 {
		t.Errorf("assessed in total: %v %v", got, ok)
	}
	wantTotal := math.Round((6*1.5-5*0.5)/11*100) / 100
	if got, ok := measure(rowByKey(tbl, nil), "assessment_change"); !ok || got != wantTotal {
		t.Errorf("change in total: %v %v, want %v", got, ok, wantTotal)
	}
	relaxed := outcomes(t, db, models.StatsQuery{By: []string{"site"}, K: 5, Relaxed: true})
	if got, _ := measure(rowByKey(relaxed, "ES"), "assessed"); got != 10 {
		t.Errorf("relaxed: %v assessed at ES", got)
	}

	// The database itself: nothing of DU's two people whatever k the
	// caller passes, nothing of DO's three at k = 5, and no one without
	// evaluation consent.
	type outRow struct {
		Site     *string
		Assessed *int
		Change   *float64
	}
	for _, k := range []int{1, 5} {
		for _, r := range statsRows[outRow](t, db, "SELECT site, assessed, change FROM statistics.assessment_outcomes('{site}', NULL, NULL, NULL, ?, false)", k) {
			switch {
			case r.Site != nil && *r.Site == "DU" && (r.Assessed != nil || r.Change != nil):
				t.Errorf("k=%d: DU shows %v %v", k, deref(ptr64(r.Assessed)), r.Change)
			case r.Site != nil && *r.Site == "DO" && k == 5 && (r.Assessed != nil || r.Change != nil):
				t.Errorf("k=5: DO shows %v %v", deref(ptr64(r.Assessed)), r.Change)
			case r.Site != nil && *r.Site == "ES" && (r.Assessed == nil || *r.Assessed != 6):
				t.Errorf("k=%d: ES assessed %v", k, deref(ptr64(r.Assessed)))
			}
		}
	}
	type itemRow struct {
		Item                       *string
		Assessed                   *int
		Baseline, Exit             *float64
		Improved, Unchanged, Worse *int
	}
	for _, c := range []struct {
		site string
		k    int
	}{{"DU", 1}, {"DU", 5}, {"DO", 5}} {
		for _, r := range statsRows[itemRow](t, db, "SELECT item, assessed, baseline, exit, improved, unchanged, worse FROM statistics.assessment_items(?::text[], NULL, NULL, ?, false)",
			"{"+c.site+"}", c.k) {
			if r.Assessed != nil || r.Baseline != nil || r.Exit != nil || r.Improved != nil || r.Unchanged != nil || r.Worse != nil {
				t.Errorf("%s at k=%d: %+v", c.site, c.k, r)
			}
		}
	}
	for _, r := range statsRows[itemRow](t, db, "SELECT item, assessed, baseline, exit, improved, unchanged, worse FROM statistics.assessment_items('{ES}', NULL, NULL, 5, false)") {
		if r.Assessed == nil || *r.Assessed != 6 && (r.Item == nil || *r.Item != "substance_use") {
			t.Errorf("ES %v: assessed %v (evaluation consent only)", r.Item, deref(ptr64(r.Assessed)))
		}
	}

	// The per-item table.
	var it *models.AssessmentItemTable
	err := models.InTx(t.Context(), db, models.DBStatistics, models.Actor{Role: models.RoleEvaluator}, func(st *models.Store) (err error) {
		it, err = st.AssessmentItemStats(models.StatsQuery{K: 5})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	byItem := map[string]models.AssessmentItemRow{}
	for _, r := range it.Rows {
		byItem[r.Item] = r
	}
	if len(it.Rows) != 3 || it.Rows[0].Item != "" || it.Rows[1].Kind != models.ItemRisk || it.Rows[2].Item != "leisure" {
		t.Fatalf("rows %v", it.Rows)
	}
	want := map[string]map[string]float64{
		// All items: ES 6 improved (gain 1.5), DU and DO 5 worse (gain
		// -0.5), on a scale where higher is better (aggression mirrored).
		"": {"assessed": 11, "baseline_mean": round2((6*2 + 5*3.5) / 11), "exit_mean": round2((6*3.5 + 5*3.0) / 11),
			"improved_share": round3(6.0 / 11), "unchanged_share": 0, "worse_share": round3(5.0 / 11)},
		"aggression": {"assessed": 11, "baseline_mean": round2((6*4 + 5*2) / 11.0), "exit_mean": round2((6*2 + 5*3) / 11.0),
			"improved_share": round3(6.0 / 11), "unchanged_share": 0, "worse_share": round3(5.0 / 11)},
	}
	for item, ms := range want {
		r := byItem[item]
		for name, v := range ms {
			if got := r.Measures[name]; got == nil || math.Abs(*got-v) > 0.0051 {
				t.Errorf("%q %s: %v, want %v (%v)", item, name, deref64(got), v, r.Suppressed)
			}
		}
		if got := r.Measures["mean_change"]; got == nil || math.Abs(*got-(*r.Measures["exit_mean"]-*r.Measures["baseline_mean"])) > 0.0051 {
			t.Errorf("%q mean change %v", item, deref64(got))
		}
	}
	// Leisure: 6 improved, 5 unchanged, none worse: a zero shows.
	if r := byItem["leisure"]; r.Measures["worse_share"] == nil || *r.Measures["worse_share"] != 0 || r.Labels.DE != "DE leisure" {
		t.Errorf("leisure %+v", r)
	}
	// Substance use: a pair at none: nobody (not assessable at exit).
	if _, ok := byItem["substance_use"]; ok {
		t.Errorf("an item without pairs has a row: %+v", byItem["substance_use"])
	}

	// Filters narrow it; below k everything is hidden, then a lone small
	// part is complemented.
	err = models.InTx(t.Context(), db, models.DBStatistics, models.Actor{Role: models.RoleEvaluator}, func(st *models.Store) (err error) {
		it, err = st.AssessmentItemStats(models.StatsQuery{K: 5, Sites: []string{"DO"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range it.Rows {
		for _, name := range models.AssessmentItemMeasures {
			if r.Measures[name] != nil {
				t.Errorf("DO alone (3 people) shows %s of %q", name, r.Item)
			}
		}
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func deref64(p *float64) any {
	if p == nil {
		return "hidden"
	}
	return *p
}

func ptr64(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

// TestAssessmentItemRowSuppression: within an item's row, a single small
// part among improved, unchanged and worse takes a complement, and the
// means go with the number of people.
func TestAssessmentItemRowSuppression(t *testing.T) {
	tdb := dbtest.New(t)
	db := tdb.Gorm
	base := fact{site: "ES", entry: time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC), age: 12, gender: "male", reason: "violence",
		status: models.StatusCompleted, evaluation: true}
	insertFacts(t, db, repeat(9, base))
	items := map[string]string{"leisure": models.ItemResource}
	// Eight improve, one gets worse: "worse" is 1, below k, and "improved"
	// would give it away (9 − 8 = 1).
	var ids []string
	db.Raw("SELECT id FROM prevention.participants ORDER BY case_number").Scan(&ids)
	insertAssessments(t, db, "ES", "ES-T-000", items, map[string]pair{"leisure": {2, 4}}) // ES-T-0000 … ES-T-0008
	dbtest.Exec(t, db, `UPDATE prevention.assessment_scores sc SET score = 1 FROM prevention.assessments a
		WHERE a.id = sc.assessment_id AND a.occasion = 'closing' AND a.participant_id = ?`, ids[0])
	refresh(t, db)
	var it *models.AssessmentItemTable
	err := models.InTx(t.Context(), db, models.DBStatistics, models.Actor{Role: models.RoleEvaluator}, func(st *models.Store) (err error) {
		it, err = st.AssessmentItemStats(models.StatsQuery{K: 5})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range it.Rows {
		for _, name := range []string{"worse_share", "improved_share"} {
			if r.Measures[name] != nil || !slices.Contains(r.Suppressed, name) {
				t.Errorf("%q shows %s = %v", r.Item, name, deref64(r.Measures[name]))
			}
		}
		if got := r.Measures["assessed"]; got == nil || *got != 9 {
			t.Errorf("%q assessed %v", r.Item, deref64(got))
		}
		if got := r.Measures["unchanged_share"]; got == nil || *got != 0 {
			t.Errorf("%q unchanged %v", r.Item, deref64(got))
		}
	}
}

// TestAssessmentsErased: erasure destroys an assessment's comment and
// keeps its scores.
func TestAssessmentsErased(t *testing.T) {
	w := newWorld(t)
	w.instrument("coord")
	p := w.activeCase("Kommentar", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	scores := w.scoresOf("sw", ptr(2.0))
	w.must("sw", func(st *models.Store) error {
		_, _, err := st.RecordAssessment(p.ID, models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores, Comment: "vertraulich"}, today)
		return err
	})
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.participants SET status = 'ended_early', end_reason = 'moved' WHERE id = ?", p.ID)
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, p.ID); err != nil {
		t.Fatal(err)
	}
	var left struct{ Comments, Scores int }
	w.db.Gorm.Raw(`SELECT (SELECT count(*) FROM prevention.assessments WHERE participant_id = ? AND comment_enc IS NOT NULL) AS comments,
		(SELECT count(*) FROM prevention.assessment_scores sc JOIN prevention.assessments a ON a.id = sc.assessment_id WHERE a.participant_id = ?) AS scores`,
		p.ID, p.ID).Scan(&left)
	if left.Comments != 0 || left.Scores != 10 {
		t.Errorf("after erasure: %+v", left)
	}
}

// TestSeedSyntheticAssessments: the synthetic data set has baselines for
// most cases that became active, reviews and exits, every score on its
// item's scale, and scores that improve more for completed cases than
// for those that ended early.
func TestSeedSyntheticAssessments(t *testing.T) {
	tdb := dbtest.New(t)
	dbtest.Seed(t, tdb.Gorm)
	db := tdb.Gorm
	cipher, _ := models.NewCipher(models.EphemeralDataKey())
	rep, err := models.SeedSynthetic(t.Context(), db, cipher, models.SyntheticOptions{Participants: 600, Seed: 11, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	refresh(t, db)
	var got struct {
		Assessments, Activated, Baselines, Reviews, Exits, Items, Off int
	}
	db.Raw(`SELECT (SELECT count(*) FROM prevention.assessments) AS assessments,
		(SELECT count(*) FROM prevention.participants WHERE activated_on IS NOT NULL) AS activated,
		(SELECT count(DISTINCT participant_id) FROM prevention.assessments WHERE occasion = 'intake') AS baselines,
		(SELECT count(*) FROM prevention.assessments WHERE occasion = 'review') AS reviews,
		(SELECT count(*) FROM prevention.assessments WHERE occasion = 'closing') AS exits,
		(SELECT count(*) FROM prevention.assessment_items) AS items,
		(SELECT count(*) FROM prevention.assessment_scores WHERE score NOT BETWEEN scale_min AND scale_max) AS off`).Scan(&got)
	if got.Assessments != rep.Assessments || got.Baselines < got.Activated*3/4 || got.Reviews == 0 || got.Exits == 0 ||
		got.Items != 8*10 || got.Off != 0 {
		t.Errorf("synthetic assessments: %+v, %d reported", got, rep.Assessments)
	}
	var gains []struct {
		Status string
		Gain   float64
	}
	db.Raw(`SELECT p.status, avg(f.gain)::float8 AS gain FROM stats_base.assessment_facts f JOIN prevention.participants p ON p.id = f.participant_id
		GROUP BY p.status ORDER BY 1`).Scan(&gains)
	m := map[string]float64{}
	for _, g := range gains {
		m[g.Status] = g.Gain
	}
	if m["completed"] <= m["ended_early"]+0.3 || m["completed"] < 0.4 {
		t.Errorf("mean gain by status: %v", m)
	}
	// Every assessment lies within its case's active time, none in the
	// future.
	var wrong int
	db.Raw(`SELECT count(*) FROM prevention.assessments a JOIN prevention.participants p ON p.id = a.participant_id
		WHERE a.assessed_on < p.activated_on OR a.assessed_on >= ? OR (p.ended_on IS NOT NULL AND a.assessed_on > p.ended_on)`, today).Scan(&wrong)
	if wrong != 0 {
		t.Errorf("%d assessments outside their case's time", wrong)
	}
}
