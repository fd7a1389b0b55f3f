package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// policyCase is one statement that a row-level-security policy must refuse
// to some users and allow to one: refused means an error of the policy or
// no row read, written or deleted; allowed means at least one row. The
// allowed user proves that the statement itself works, so a refusal is
// the policy's and not a typo's.
type policyCase struct {
	policy  string // "schema.table policy USING" or "… CHECK": the clause this case needs
	what    string
	sql     string
	args    []any
	refused []string // users of the world (plus "idle", "police2")
	allowed string
}

// permissiveByDesign are the policies whose clause is true on purpose.
var permissiveByDesign = map[string]string{
	"auth.idempotency_keys idempotency_keys_auth USING":     "kurve_auth purges every user's kept answers once they expire",
	"org.mediator_languages mediator_languages_read USING":  "who speaks which language is shown to everyone who plans visits",
	"org.mediator_languages mediator_languages_admin USING": "admins keep every mediator's languages",
}

// policyWorld is a world with something of every kind in a colleague's
// case ("theirs", social worker sw2, mediator med2) and at another site
// (Duisburg), plus an unassigned social worker ("idle") and a second
// police liaison ("police2").
type policyWorld struct {
	*world
	mine, theirs, du, left           *models.Participant
	theirsFamily, duFamily           string
	theirsConsent, theirsSession     string
	duMeasure, referral, theirsGuard string
	// openReferral is undecided, so its liaison may still correct it.
	openReferral string
	theirsVisit  *models.Visit
	// contact is a police contact on referral (issue 17).
	contact string
	// Groups: the colleague's (with their case), an empty one of sw's,
	// and an empty one at Duisburg.
	theirsGroup, emptyGroup, duGroup string
	// Assessments (issue 17): an item of Duisburg's instrument, and an
	// assessment of the colleague's case.
	duItem, theirsAssessment string
}

func newPolicyWorld(t *testing.T) *policyWorld {
	w := &policyWorld{world: newWorld(t)}
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		for name, in := range map[string]models.NewUserInput{
			"idle":    {Email: "idle@es.test", Name: "Freie Fachkraft", Role: models.RoleSocialWorker, SiteCode: "ES", Password: "long enough password"},
			"police2": {Email: "police2@es.test", Name: "Zweite Verbindung", Role: models.RolePoliceLiaison, SiteCode: "ES", Password: "long enough password"},
		} {
			u, err := st.CreateUser(in)
			if err != nil {
				return err
			}
			w.users[name] = u
		}
		return st.SetMediatorLanguages(w.users["med2"].ID, []string{"ar", "ku"})
	})
	if err != nil {
		t.Fatal(err)
	}
	w.catalogue()
	w.mine = w.activeCaseOf("sw", "Eigen", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	w.theirs = w.activeCaseOf("sw2", "Fremd", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	w.assign(w.mine, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	w.assign(w.theirs, "med2", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	w.must("sw2", func(st *models.Store) error {
		if _, err := st.CreateGoal(w.theirs.ID, "Fremdes Ziel", nil, today); err != nil {
			return err
		}
		if _, err := st.RecordReview(w.theirs.ID, today, "Fremde Besprechung", today); err != nil {
			return err
		}
		s, err := st.CreateSession(models.SessionInput{ParticipantIDs: []string{w.theirs.ID}, MeasureCode: "social_skills",
			StartedAt: today.Add(-2 * time.Hour), DurationMinutes: 60, Attendance: map[string]models.Attendance{w.theirs.ID: models.Attended}}, today)
		if err != nil {
			return err
		}
		w.theirsSession = s.ID
		w.theirsVisit, err = st.CreateVisit(models.VisitInput{ParticipantID: w.theirs.ID, StartsAt: today.AddDate(0, 0, 2).Add(9 * time.Hour),
			EndsAt: today.AddDate(0, 0, 2).Add(10 * time.Hour), Purpose: "follow_up", SocialWorkerID: w.users["sw2"].ID}, today)
		return err
	})
	// A colleague's case that sw has left (assignment ended yesterday) and
	// that med joins only tomorrow.
	w.left = w.activeCaseOf("sw2", "Verlassen", time.Date(2013, 6, 1, 0, 0, 0, 0, time.UTC))
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO prevention.assignments (participant_id, site_id, user_id, kind, from_on, until_on)
		VALUES (?, ?, ?, 'social_worker', ?, ?), (?, ?, ?, 'language_mediator', ?, NULL)`,
		w.left.ID, w.left.SiteID, w.users["sw"].ID, today.AddDate(0, -2, 0), today.AddDate(0, 0, -1),
		w.left.ID, w.left.SiteID, w.users["med"].ID, today.AddDate(0, 0, 1))
	// Duisburg: a case, a measure with a module.
	w.du = w.newParticipant("coordDU", "Duisburg", time.Date(2014, 3, 1, 0, 0, 0, 0, time.UTC))
	w.must("coordDU", func(st *models.Store) error {
		m, err := st.SaveMeasure(models.MeasureInput{Code: "du_measure", Labels: models.Labels{"DU", "DU", "DU", "DU"}, Active: true})
		if err != nil {
			return err
		}
		w.duMeasure = m.ID
		return st.SaveModule("du_measure", models.MeasureInput{Code: "du_module", Labels: models.Labels{"DU", "DU", "DU", "DU"}, Active: true})
	})
	w.theirsGroup = w.group("sw2", "Fremdgruppe", w.theirs.ID)
	w.emptyGroup = w.group("sw", "Leergruppe")
	w.duGroup = w.group("coordDU", "Gruppe Duisburg")
	w.instrument("coord")
	w.instrument("coordDU")
	w.theirsAssessment = w.assess("sw2", w.theirs.ID, models.OccasionIntake)
	w.must("coordDU", func(st *models.Store) error {
		it, err := st.AssessmentItemByCode("aggression")
		if err == nil {
			w.duItem = it.ID
		}
		return err
	})
	// A referral, declined by the coordinator of Essen.
	w.referral = w.refer("Abgelehnt").ID
	w.must("coord", func(st *models.Store) error { return st.DeclineReferral(w.referral, "duplicate") })
	w.openReferral = w.refer("Offen").ID
	// A later police contact of the declined referral's child, recorded by
	// its liaison (issue 17); the referral arrived a month before today.
	dbtest.Exec(t, w.db.Gorm, "UPDATE enforcement.referrals SET created_at = created_at - interval '40 days' WHERE id = ?", w.referral)
	w.must("police", func(st *models.Store) error {
		c, err := st.CreatePoliceContact(w.referral, models.PoliceContactInput{OccurredOn: ptr(today.AddDate(0, 0, -3)), Category: "property"}, today)
		if err == nil {
			w.contact = c.ID
		}
		return err
	})
	// Rows written as the owner: an extension, a closing and a kept answer
	// of the colleague's.
	db := w.db.Gorm
	dbtest.Exec(t, db, `INSERT INTO prevention.extensions (id, participant_id, months, reason_enc) VALUES (gen_random_uuid(), ?, 6, 'x')`, w.theirs.ID)
	dbtest.Exec(t, db, `INSERT INTO prevention.closings (id, participant_id, ended_on, handover) VALUES (gen_random_uuid(), ?, ?, 'none')`, w.theirs.ID, today)
	dbtest.Exec(t, db, `INSERT INTO auth.idempotency_keys (id, user_id, key, request_hash, status) VALUES (gen_random_uuid(), ?, 'k', '\x00', 201)`, w.users["sw2"].ID)
	for dst, sql := range map[*string]string{
		&w.theirsFamily:  "SELECT family_id FROM prevention.participants WHERE id = ?",
		&w.duFamily:      "SELECT family_id FROM prevention.participants WHERE id = ?",
		&w.theirsConsent: "SELECT id FROM prevention.consents WHERE participant_id = ? LIMIT 1",
		&w.theirsGuard:   "SELECT guardian_id FROM prevention.participant_guardians WHERE participant_id = ? LIMIT 1",
	} {
		id := w.theirs.ID
		if dst == &w.duFamily {
			id = w.du.ID
		}
		if err := db.Raw(sql, id).Scan(dst).Error; err != nil || *dst == "" {
			t.Fatalf("setup: %s: %v", sql, err)
		}
	}
	return w
}

// copyOf is a row of table, as the owner reads it, with changes: the
// JSON an INSERT … jsonb_populate_record takes, so that a case can insert
// a whole, valid row that differs in what the policy looks at.
func (w *policyWorld) copyOf(table, where string, arg any, changes map[string]any) string {
	w.t.Helper()
	var raw string
	if err := w.db.Gorm.Raw("SELECT to_jsonb(t)::text FROM "+table+" t WHERE "+where+" LIMIT 1", arg).Scan(&raw).Error; err != nil || raw == "" {
		w.t.Fatalf("setup: copy of %s: %v", table, err)
	}
	row := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &row); err != nil {
		w.t.Fatal(err)
	}
	maps.Copy(row, changes)
	b, _ := json.Marshal(row)
	return string(b)
}

func insertCopy(table string) string {
	return "INSERT INTO " + table + " SELECT * FROM jsonb_populate_record(NULL::" + table + ", ?::jsonb)"
}

// try runs sql as user, under their side's role and with their settings as
// a request sets them, and rolls back: the rows it read or changed.
func (w *policyWorld) try(user, sql string, args ...any) (int64, error) {
	return w.run(false, user, sql, args...)
}

// commit runs sql as user like try, and keeps what it did.
func (w *policyWorld) commit(user, sql string, args ...any) {
	w.t.Helper()
	if _, err := w.run(true, user, sql, args...); err != nil {
		w.t.Fatalf("as %s: %s: %v", user, sql, err)
	}
}

func (w *policyWorld) run(keep bool, user, sql string, args ...any) (int64, error) {
	u := w.users[user]
	if u == nil {
		w.t.Fatalf("no user %q", user)
	}
	var n int64
	errRollback := errors.New("rollback")
	err := w.db.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE " + string(u.Role.DBRole())).Error; err != nil {
			return err
		}
		if err := tx.Exec(`SELECT set_config('kurve.user_id', ?, true), set_config('kurve.site_id', ?, true),
			set_config('kurve.role', ?, true), set_config('kurve.today', ?, true)`,
			u.ID, u.SiteID, string(u.Role), today.Format(time.DateOnly)).Error; err != nil {
			return err
		}
		res := tx.Exec(sql, args...)
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if keep {
			return nil
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return n, nil
	}
	return 0, err
}

func (w *policyWorld) cases() []policyCase {
	u := func(name string) string { return w.users[name].ID }
	theirs, du := w.theirs.ID, w.du.ID
	byParticipant := func(table, policy string, refused ...string) policyCase {
		return policyCase{policy: table + " " + policy + " USING", what: "a colleague's case",
			sql: "SELECT 1 FROM " + table + " WHERE participant_id = ?", args: []any{theirs},
			refused: append([]string{"sw", "idle", "coordDU", "swDU"}, refused...), allowed: "sw2"}
	}
	unfiltered := func(policy, sql string) policyCase {
		return policyCase{policy: policy, what: "every row, without WHERE", sql: sql, refused: []string{"idle"}, allowed: "sw2"}
	}
	return []policyCase{
		// Participants.
		{policy: "prevention.participants participants_read USING", what: "a colleague's or another site's case",
			sql: "SELECT 1 FROM prevention.participants WHERE id = ?", args: []any{theirs},
			refused: []string{"sw", "idle", "coordDU", "swDU"}, allowed: "sw2"},
		{policy: "prevention.participants participants_mediator USING", what: "a case the mediator is not assigned to",
			sql: "SELECT 1 FROM prevention.participants WHERE id = ?", args: []any{theirs}, refused: []string{"med"}, allowed: "med2"},
		{policy: "prevention.participants participants_update USING", what: "changing a colleague's case",
			sql: "UPDATE prevention.participants SET version = version WHERE id = ?", args: []any{theirs},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.participants participants_insert CHECK", what: "a case at another site, or by a social worker",
			sql: insertCopy("prevention.participants"), args: []any{w.copyOf("prevention.participants", "id = ?", du,
				map[string]any{"id": "00000000-0000-4000-8000-000000000001", "case_number": "DU-TEST-1"})},
			refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		// A statement without WHERE reads no column, so only the UPDATE or
		// DELETE policy itself stands between it and every row: an
		// unassigned user changes nothing.
		unfiltered("prevention.participants participants_update USING", "UPDATE prevention.participants SET updated_at = now()"),
		unfiltered("prevention.families families_update USING", "UPDATE prevention.families SET updated_at = now()"),
		unfiltered("prevention.sessions sessions_update USING", "UPDATE prevention.sessions SET updated_at = now()"),
		unfiltered("prevention.session_staff session_staff_delete USING", "DELETE FROM prevention.session_staff"),
		// Assignments.
		byParticipant("prevention.assignments", "assignments_read", "med"),
		{policy: "prevention.assignments assignments_read USING", what: "who else works on a case one has left, or not yet joined",
			sql: "SELECT 1 FROM prevention.assignments WHERE participant_id = ? AND user_id <> org.current_user_id()", args: []any{w.left.ID},
			refused: []string{"sw", "med"}, allowed: "sw2"},
		{policy: "prevention.assignments assignments_insert CHECK", what: "assigning at another site, or as a social worker",
			sql: insertCopy("prevention.assignments"), args: []any{w.copyOf("prevention.assignments", "participant_id = ? AND kind = 'social_worker'", theirs,
				map[string]any{"id": "00000000-0000-4000-8000-000000000002", "user_id": u("idle")})},
			refused: []string{"sw2", "coordDU"}, allowed: "coord"},
		{policy: "prevention.assignments assignments_update USING", what: "ending an assignment at another site, or as a social worker",
			sql: "UPDATE prevention.assignments SET until_on = until_on WHERE participant_id = ?", args: []any{theirs},
			refused: []string{"sw2", "coordDU"}, allowed: "coord"},
		// Groups: the site's staff see its groups, the owner and the
		// coordinator change them; members follow their children.
		{policy: "prevention.groups groups_read USING", what: "another site's group",
			sql: "SELECT 1 FROM prevention.groups WHERE id = ?", args: []any{w.duGroup}, refused: []string{"coord", "sw", "med"}, allowed: "swDU"},
		{policy: "prevention.groups groups_insert CHECK", what: "a group at another site, or in another's name",
			sql: insertCopy("prevention.groups"), args: []any{w.copyOf("prevention.groups", "id = ?", w.duGroup,
				map[string]any{"id": "00000000-0000-4000-8000-000000000009", "name": "Kopie"})},
			refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		{policy: "prevention.groups groups_update USING", what: "renaming a colleague's group or another site's",
			sql: "UPDATE prevention.groups SET name = name WHERE id = ?", args: []any{w.theirsGroup}, refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		unfiltered("prevention.groups groups_update USING", "UPDATE prevention.groups SET archived_at = archived_at"),
		{policy: "prevention.group_members group_members_read USING", what: "a colleague's case in a group",
			sql: "SELECT 1 FROM prevention.group_members WHERE group_id = ? AND participant_id = ?", args: []any{w.theirsGroup, theirs},
			refused: []string{"sw", "idle", "coordDU", "swDU"}, allowed: "sw2"},
		{policy: "prevention.group_members group_members_insert CHECK", what: "a colleague's case put into a group",
			sql: "INSERT INTO prevention.group_members (group_id, participant_id) VALUES (?, ?)", args: []any{w.emptyGroup, theirs},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.group_members group_members_insert CHECK", what: "another site's case put into a group",
			sql: "INSERT INTO prevention.group_members (group_id, participant_id) VALUES (?, ?)", args: []any{w.duGroup, du},
			refused: []string{"coord", "sw"}, allowed: "coordDU"},
		{policy: "prevention.group_members group_members_delete USING", what: "taking a colleague's case out of a group",
			sql: "DELETE FROM prevention.group_members WHERE group_id = ? AND participant_id = ?", args: []any{w.theirsGroup, theirs},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		unfiltered("prevention.group_members group_members_delete USING", "DELETE FROM prevention.group_members"),
		// Case counters.
		{policy: "prevention.case_counters case_counters_coordinator USING", what: "another site's case numbers",
			sql: "UPDATE prevention.case_counters SET last = last WHERE site_id = ?", args: []any{w.du.SiteID},
			refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		// The version of a site's case facts (migration 00032).
		{policy: "prevention.case_facts_versions case_facts_versions_own_site USING", what: "another site's case facts version",
			sql: "SELECT 1 FROM prevention.case_facts_versions WHERE site_id = ?", args: []any{w.du.SiteID},
			refused: []string{"coord", "sw"}, allowed: "coordDU"},
		// Everything of a case.
		byParticipant("prevention.closings", "closings_all"),
		byParticipant("prevention.consents", "consents_all"),
		byParticipant("prevention.extensions", "extensions_all"),
		byParticipant("prevention.goals", "goals_all"),
		byParticipant("prevention.reviews", "reviews_all"),
		byParticipant("prevention.status_changes", "status_changes_all"),
		byParticipant("prevention.session_participants", "session_participants_all"),
		byParticipant("prevention.participant_guardians", "participant_guardians_all", "med"),
		byParticipant("prevention.visits", "visits_all", "med"),
		{policy: "prevention.consent_events consent_events_all USING", what: "a colleague's case's consent history",
			sql: "SELECT 1 FROM prevention.consent_events WHERE consent_id = ?", args: []any{w.theirsConsent},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.goals goals_all USING", what: "a goal written into a colleague's case",
			sql: insertCopy("prevention.goals"), args: []any{w.copyOf("prevention.goals", "participant_id = ?", theirs,
				map[string]any{"id": "00000000-0000-4000-8000-000000000003"})},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		// Families.
		{policy: "prevention.families families_read USING", what: "a colleague's case's family",
			sql: "SELECT 1 FROM prevention.families WHERE id = ?", args: []any{w.theirsFamily},
			refused: []string{"sw", "idle", "coordDU", "med"}, allowed: "sw2"},
		{policy: "prevention.families families_update USING", what: "changing a colleague's case's family",
			sql: "UPDATE prevention.families SET version = version WHERE id = ?", args: []any{w.theirsFamily},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.families families_insert CHECK", what: "a family at another site, or by a social worker",
			sql: insertCopy("prevention.families"), args: []any{w.copyOf("prevention.families", "id = ?", w.duFamily,
				map[string]any{"id": "00000000-0000-4000-8000-000000000004"})},
			refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		{policy: "prevention.family_languages family_languages_all USING", what: "a colleague's case's family languages",
			sql: "SELECT 1 FROM prevention.family_languages WHERE family_id = ?", args: []any{w.theirsFamily},
			refused: []string{"sw", "idle", "coordDU", "med"}, allowed: "med2"},
		{policy: "prevention.guardians guardians_all USING", what: "a colleague's case's guardians",
			sql: "SELECT 1 FROM prevention.guardians WHERE family_id = ?", args: []any{w.theirsFamily},
			refused: []string{"sw", "idle", "coordDU", "med"}, allowed: "med2"},
		{policy: "prevention.guardians guardians_all USING", what: "changing a colleague's case's guardian",
			sql: "UPDATE prevention.guardians SET version = version WHERE id = ?", args: []any{w.theirsGuard},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		// Intake.
		{policy: "prevention.intake_decisions intake_decisions_coordinator USING", what: "another site's intake decisions",
			sql: "SELECT 1 FROM prevention.intake_decisions WHERE referral_id = ?", args: []any{w.referral},
			refused: []string{"coordDU", "sw"}, allowed: "coord"},
		{policy: "prevention.intake_decisions intake_decisions_case USING", what: "an intake decision of no case one sees (a declined referral)",
			sql: "SELECT 1 FROM prevention.intake_decisions WHERE referral_id = ?", args: []any{w.referral},
			refused: []string{"sw", "idle", "swDU"}, allowed: "coord"},
		// The search index (migration 00027): a token goes with its owner.
		{policy: "prevention.search_tokens search_tokens_read USING", what: "the name tokens of a colleague's case",
			sql: "SELECT 1 FROM prevention.search_tokens WHERE participant_id = ?", args: []any{theirs},
			refused: []string{"sw", "idle", "coordDU", "swDU", "med"}, allowed: "sw2"},
		{policy: "prevention.search_tokens search_tokens_read USING", what: "the tokens of a colleague's case's guardian",
			sql: "SELECT 1 FROM prevention.search_tokens WHERE guardian_id = ?", args: []any{w.theirsGuard},
			refused: []string{"sw", "idle", "coordDU", "med"}, allowed: "sw2"},
		{policy: "prevention.search_tokens search_tokens_insert CHECK", what: "a token for a colleague's case",
			sql: insertCopy("prevention.search_tokens"), args: []any{w.copyOf("prevention.search_tokens", "participant_id = ?", theirs,
				map[string]any{"hash": `\x000102030405060708090a0b0c0d0e0f`})},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.search_tokens search_tokens_delete USING", what: "deleting the tokens of a colleague's case",
			sql: "DELETE FROM prevention.search_tokens WHERE participant_id = ?", args: []any{theirs},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		unfiltered("prevention.search_tokens search_tokens_delete USING", "DELETE FROM prevention.search_tokens"),
		// Measures and modules.
		{policy: "prevention.measures measures_read USING", what: "another site's measures",
			sql: "SELECT 1 FROM prevention.measures WHERE id = ?", args: []any{w.duMeasure}, refused: []string{"coord", "sw"}, allowed: "swDU"},
		{policy: "prevention.measures measures_update USING", what: "changing another site's measure, or as a social worker",
			sql: "UPDATE prevention.measures SET sort = sort WHERE id = ?", args: []any{w.duMeasure}, refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		{policy: "prevention.measures measures_write CHECK", what: "a measure at another site, or by a social worker",
			sql: insertCopy("prevention.measures"), args: []any{w.copyOf("prevention.measures", "id = ?", w.duMeasure,
				map[string]any{"id": "00000000-0000-4000-8000-000000000005", "code": "du_copy"})},
			refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		{policy: "prevention.measure_modules measure_modules_read USING", what: "another site's modules",
			sql: "SELECT 1 FROM prevention.measure_modules WHERE measure_id = ?", args: []any{w.duMeasure}, refused: []string{"coord", "sw"}, allowed: "swDU"},
		{policy: "prevention.measure_modules measure_modules_update USING", what: "changing another site's module, or as a social worker",
			sql: "UPDATE prevention.measure_modules SET sort = sort WHERE measure_id = ?", args: []any{w.duMeasure}, refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		{policy: "prevention.measure_modules measure_modules_write CHECK", what: "a module of another site's measure, or by a social worker",
			sql: insertCopy("prevention.measure_modules"), args: []any{w.copyOf("prevention.measure_modules", "measure_id = ?", w.duMeasure,
				map[string]any{"id": "00000000-0000-4000-8000-000000000006", "code": "du_copy"})},
			refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		// The assessment instrument (issue 17): the site's staff read it,
		// its coordinators keep it.
		{policy: "prevention.assessment_items assessment_items_read USING", what: "another site's instrument",
			sql: "SELECT 1 FROM prevention.assessment_items WHERE id = ?", args: []any{w.duItem}, refused: []string{"coord", "sw"}, allowed: "swDU"},
		{policy: "prevention.assessment_items assessment_items_insert CHECK", what: "an item at another site, or by a social worker",
			sql: insertCopy("prevention.assessment_items"), args: []any{w.copyOf("prevention.assessment_items", "id = ?", w.duItem,
				map[string]any{"id": "00000000-0000-4000-8000-00000000000a", "code": "du_copy"})},
			refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		{policy: "prevention.assessment_items assessment_items_update USING", what: "retiring another site's item, or as a social worker",
			sql: "UPDATE prevention.assessment_items SET sort = sort WHERE id = ?", args: []any{w.duItem}, refused: []string{"coord", "swDU"}, allowed: "coordDU"},
		// Assessments go with their case, scores with their assessment.
		byParticipant("prevention.assessments", "assessments_all"),
		{policy: "prevention.assessments assessments_all USING", what: "an assessment written into a colleague's case",
			sql: insertCopy("prevention.assessments"), args: []any{w.copyOf("prevention.assessments", "id = ?", w.theirsAssessment,
				map[string]any{"id": "00000000-0000-4000-8000-00000000000b"})},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.assessment_scores assessment_scores_all USING", what: "the scores of a colleague's case",
			sql: "SELECT 1 FROM prevention.assessment_scores WHERE assessment_id = ?", args: []any{w.theirsAssessment},
			refused: []string{"sw", "idle", "coordDU", "swDU"}, allowed: "sw2"},
		// Sessions and their staff.
		{policy: "prevention.sessions sessions_read USING", what: "a colleague's session",
			sql: "SELECT 1 FROM prevention.sessions WHERE id = ?", args: []any{w.theirsSession}, refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.sessions sessions_update USING", what: "changing a colleague's session",
			sql: "UPDATE prevention.sessions SET version = version WHERE id = ?", args: []any{w.theirsSession}, refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.sessions sessions_insert CHECK", what: "a session in a colleague's name",
			sql: insertCopy("prevention.sessions"), args: []any{w.copyOf("prevention.sessions", "id = ?", w.theirsSession,
				map[string]any{"id": "00000000-0000-4000-8000-000000000007"})},
			refused: []string{"sw", "coord", "swDU"}, allowed: "sw2"},
		{policy: "prevention.session_staff session_staff_read USING", what: "a colleague's session's staff",
			sql: "SELECT 1 FROM prevention.session_staff WHERE session_id = ?", args: []any{w.theirsSession}, refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.session_staff session_staff_delete USING", what: "removing a colleague's session's staff",
			sql: "DELETE FROM prevention.session_staff WHERE session_id = ?", args: []any{w.theirsSession}, refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		{policy: "prevention.session_staff session_staff_write CHECK", what: "joining a colleague's session",
			sql: insertCopy("prevention.session_staff"), args: []any{w.copyOf("prevention.session_staff", "session_id = ?", w.theirsSession,
				map[string]any{"user_id": u("idle")})},
			refused: []string{"sw", "idle", "coordDU"}, allowed: "sw2"},
		// The police side.
		{policy: "enforcement.referrals referrals_own USING", what: "another liaison's referral",
			sql: "SELECT 1 FROM enforcement.referrals WHERE id = ?", args: []any{w.referral}, refused: []string{"police2"}, allowed: "police"},
		{policy: "enforcement.referrals referrals_own CHECK", what: "a referral in another liaison's name",
			sql: insertCopy("enforcement.referrals"), args: []any{w.copyOf("enforcement.referrals", "id = ?", w.referral,
				map[string]any{"id": "00000000-0000-4000-8000-000000000008", "police_reference": "PP-COPY"})},
			refused: []string{"police2"}, allowed: "police"},
		{policy: "enforcement.referrals referrals_own USING", what: "correcting another liaison's referral",
			sql: "UPDATE enforcement.referrals SET notes_enc = notes_enc WHERE id = ?", args: []any{w.openReferral},
			refused: []string{"police2"}, allowed: "police"},
		// Police contacts after a referral (issue 17): its liaison's only.
		{policy: "enforcement.police_contacts police_contacts_own USING", what: "the contacts of another liaison's referral",
			sql: "SELECT 1 FROM enforcement.police_contacts WHERE id = ?", args: []any{w.contact}, refused: []string{"police2"}, allowed: "police"},
		{policy: "enforcement.police_contacts police_contacts_own USING", what: "every contact, without WHERE",
			sql: "SELECT 1 FROM enforcement.police_contacts", refused: []string{"police2"}, allowed: "police"},
		{policy: "enforcement.police_contacts police_contacts_own CHECK", what: "a contact on another liaison's referral",
			sql: insertCopy("enforcement.police_contacts"), args: []any{w.copyOf("enforcement.police_contacts", "id = ?", w.contact,
				map[string]any{"id": "00000000-0000-4000-8000-0000000000c1"})},
			refused: []string{"police2"}, allowed: "police"},
		// Mediators' languages.
		{policy: "org.mediator_languages mediator_languages_own CHECK", what: "a language in another mediator's name",
			sql: "INSERT INTO org.mediator_languages (user_id, language) VALUES (?, 'tr')", args: []any{u("med2")}, refused: []string{"med"}, allowed: "med2"},
		{policy: "org.mediator_languages mediator_languages_own_delete USING", what: "removing another mediator's language",
			sql: "DELETE FROM org.mediator_languages WHERE user_id = ?", args: []any{u("med2")}, refused: []string{"med"}, allowed: "med2"},
		// Kept answers of idempotent requests.
		{policy: "auth.idempotency_keys idempotency_keys_own USING", what: "another user's kept answer",
			sql: "SELECT 1 FROM auth.idempotency_keys WHERE user_id = ?", args: []any{u("sw2")}, refused: []string{"sw", "med", "police"}, allowed: "sw2"},
		{policy: "auth.idempotency_keys idempotency_keys_own CHECK", what: "a kept answer in another user's name",
			sql: "INSERT INTO auth.idempotency_keys (id, user_id, key, request_hash) VALUES (gen_random_uuid(), ?, 'forged', '\\x00')", args: []any{u("sw2")},
			refused: []string{"sw", "med", "police"}, allowed: "sw2"},
	}
}

// TestEveryPolicy runs, for every clause of every row-level-security
// policy, a statement as the request role with a real user's settings:
// refused to an unassigned user, a colleague or a user of another site,
// allowed to the user it belongs to (issue 19). make mutate-wall checks
// that each case fails when its clause is made permissive, and
// TestPolicyRegistry that no clause goes without a case.
func TestEveryPolicy(t *testing.T) {
	w := newPolicyWorld(t)
	for _, c := range w.cases() {
		if n, err := w.try(c.allowed, c.sql, c.args...); err != nil || n == 0 {
			t.Errorf("%s (%s): %s is refused what is theirs: %d rows, %v", c.policy, c.what, c.allowed, n, err)
		}
		for _, user := range c.refused {
			n, err := w.try(user, c.sql, c.args...)
			switch {
			case err != nil && !models.IsPermissionDenied(err):
				t.Errorf("%s (%s): %s: not the policy's refusal: %v", c.policy, c.what, user, err)
			case err == nil && n > 0:
				t.Errorf("%s (%s): %s got %d rows", c.policy, c.what, user, n)
			}
		}
	}
}

// TestPolicyRegistry: every clause of every policy has a case in
// TestEveryPolicy, or is permissive by design with a reason; a new policy
// fails here until it has one. (make mutate-wall skips this test: it would "catch" every
// mutant by looking at the clause instead of at what the clause does.)
func TestPolicyRegistry(t *testing.T) {
	w := newPolicyWorld(t)
	tested := map[string]bool{}
	for _, c := range w.cases() {
		tested[c.policy] = true
	}
	var clauses []struct {
		Clause string
		Clear  bool
	}
	if err := w.db.Gorm.Raw(`SELECT schemaname || '.' || tablename || ' ' || policyname || ' USING' AS clause, qual = 'true' AS clear
		FROM pg_policies WHERE qual IS NOT NULL
		UNION ALL SELECT schemaname || '.' || tablename || ' ' || policyname || ' CHECK', with_check = 'true'
		FROM pg_policies WHERE with_check IS NOT NULL`).Scan(&clauses).Error; err != nil {
		t.Fatal(err)
	}
	if len(clauses) < 40 {
		t.Fatalf("found only %d policy clauses", len(clauses))
	}
	exists := map[string]bool{}
	for _, c := range clauses {
		exists[c.Clause] = true
		_, byDesign := permissiveByDesign[c.Clause]
		switch {
		case c.Clear && !byDesign:
			t.Errorf("%s is true: permissive by design? then say why in permissiveByDesign", c.Clause)
		case !c.Clear && byDesign:
			t.Errorf("%s is listed as permissive by design but is not", c.Clause)
		case !c.Clear && !tested[c.Clause]:
			t.Errorf("%s has no case in TestEveryPolicy", c.Clause)
		}
	}
	for _, known := range slices.Concat(slices.Collect(maps.Keys(tested)), slices.Collect(maps.Keys(permissiveByDesign))) {
		if !exists[known] {
			t.Errorf("%s: no such policy clause (renamed?)", known)
		}
	}
}

// columnGrants are the column-level privileges, the rest of those tables
// being withheld from that role (SPEC §5): what each role may do per
// column where it may not do it to the whole table.
var columnGrants = map[string]string{
	// Anyone appends to the audit log; the time, the chain and the hash
	// are the log's own.
	"audit.events INSERT kurve_admin":       "actor_id actor_role action object_type object_id site_id request_id details",
	"audit.events INSERT kurve_auth":        "actor_id actor_role action object_type object_id site_id request_id details",
	"audit.events INSERT kurve_dpo":         "actor_id actor_role action object_type object_id site_id request_id details",
	"audit.events INSERT kurve_enforcement": "actor_id actor_role action object_type object_id site_id request_id details",
	"audit.events INSERT kurve_mediation":   "actor_id actor_role action object_type object_id site_id request_id details",
	"audit.events INSERT kurve_prevention":  "actor_id actor_role action object_type object_id site_id request_id details",
	"audit.events INSERT kurve_statistics":  "actor_id actor_role action object_type object_id site_id request_id details",
	// A set-password link is only spent or withdrawn: its user, token and
	// expiry never change (issue 13).
	"auth.password_links UPDATE kurve_admin": "used_at",
	"auth.password_links UPDATE kurve_auth":  "used_at",
	// The sealer gives an entry its place in the chain, nothing else.
	"audit.events UPDATE kurve_sealer": "seq prev_hash hash",
	// The police correct what they submitted (issue 16), never who
	// submitted it, when, or its version (the database counts it).
	"enforcement.referrals UPDATE kurve_enforcement": "site_id first_name_enc last_name_enc date_of_birth_enc gender guardian_name_enc guardian_phone_enc reason_category police_reference referring_unit officer_name_enc notes_enc",
	// Colleagues are listed without their password hashes and second
	// factors; mediators see no e-mail addresses.
	"org.users SELECT kurve_mediation": "id site_id name role language active",
	// The dpo names who acted: name, role, site; no e-mail or language.
	"org.users SELECT kurve_dpo":        "id site_id name role active",
	"org.users SELECT kurve_prevention": "id site_id email name role language active",
	// Mediators: who is assigned, not who assigned.
	"prevention.assignments SELECT kurve_mediation": "id participant_id site_id user_id kind from_on until_on",
	// An assignment only ends; it is never moved to another person or case.
	"prevention.assignments UPDATE kurve_prevention": "until_on",
	// A group is renamed or archived; never moved to another site or owner.
	"prevention.groups UPDATE kurve_prevention": "name archived_at",
	// A closing is only reopened; its assessment is never rewritten.
	"prevention.closings UPDATE kurve_prevention": "reopened_at reopened_by",
	// An assessment item is corrected (while unscored: a trigger refuses
	// any change of meaning once scored), reordered and retired; never
	// moved to another site, code or version (issue 17).
	"prevention.assessment_items UPDATE kurve_prevention": "kind scale_min scale_max name_de name_en name_tr name_ar anchors sort retired_at",
	// Mediators: the guardians' names, contact and languages only.
	"prevention.guardians SELECT kurve_mediation":             "id family_id first_name_enc last_name_enc phone_enc email_enc languages created_at",
	"prevention.participant_guardians SELECT kurve_mediation": "participant_id guardian_id relationship",
	// Mediators: name, case number, status and languages; no birth date,
	// gender, school, notes or program dates.
	"prevention.participants SELECT kurve_mediation": "id site_id case_number status family_id first_name_enc last_name_enc languages",
	// Mediators plan visits; a visit's notes and author are the social
	// worker's.
	"prevention.visits INSERT kurve_mediation": "id site_id participant_id starts_at ends_at purpose mediator_id social_worker_id status created_by version updated_at",
	"prevention.visits SELECT kurve_mediation": "id site_id participant_id starts_at ends_at purpose mediator_id social_worker_id status version created_at updated_at",
	"prevention.visits UPDATE kurve_mediation": "starts_at ends_at purpose status version updated_at",
}

// TestColumnGrants runs, for every column of every table a role has
// column-level privileges on, the statement that needs the privilege as
// that role: it works on the granted columns and is refused on every other.
// A grant widened to the whole table, or a column added to a grant, fails
// here; so does a new column grant not listed above.
func TestColumnGrants(t *testing.T) {
	tdb := dbtest.New(t)
	var found []struct{ Rel, Priv, Role, Cols string }
	if err := tdb.Gorm.Raw(`SELECT format('%I.%I', n.nspname, c.relname) AS rel, a.privilege_type AS priv, r.rolname AS role,
			string_agg(at.attname, ' ' ORDER BY at.attnum) AS cols
		FROM pg_attribute at JOIN pg_class c ON c.oid = at.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL aclexplode(at.attacl) a JOIN pg_roles r ON r.oid = a.grantee
		WHERE at.attacl IS NOT NULL AND n.nspname IN ('org','auth','audit','prevention','enforcement','statistics','stats_base','crossing')
		AND NOT has_table_privilege(r.oid, c.oid, a.privilege_type)
		GROUP BY 1, 2, 3`).Scan(&found).Error; err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, g := range found {
		key := g.Rel + " " + g.Priv + " " + g.Role
		seen[key] = true
		if _, ok := columnGrants[key]; !ok {
			t.Errorf("column grant %s (%s) is not in columnGrants: say which columns and why", key, g.Cols)
		}
	}
	for key, cols := range columnGrants {
		f := strings.Fields(key)
		rel, priv, role := f[0], f[1], f[2]
		if !seen[key] {
			t.Errorf("%s: no column-level grant (widened to the whole table, or gone)", key)
		}
		var all []string
		if err := tdb.Gorm.Raw(`SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
			rel).Scan(&all).Error; err != nil {
			t.Fatal(err)
		}
		granted := map[string]bool{}
		for _, c := range strings.Fields(cols) {
			granted[c] = true
		}
		for _, col := range all {
			var sql string
			switch priv {
			case "SELECT":
				sql = fmt.Sprintf("SELECT %s FROM %s LIMIT 0", col, rel)
			case "INSERT":
				sql = fmt.Sprintf("INSERT INTO %s (%s) SELECT NULL WHERE false", rel, col)
			case "UPDATE":
				sql = fmt.Sprintf("UPDATE %s SET %s = NULL WHERE false", rel, col)
			default:
				t.Fatalf("%s: privilege %s", key, priv)
			}
			err := asRole(tdb.Gorm, models.DBRole(role), models.Actor{}, sql)
			switch {
			case granted[col] && err != nil:
				t.Errorf("%s: %s refused: %v", key, col, err)
			case !granted[col] && !models.IsPermissionDenied(err):
				t.Errorf("%s: %s is not to be granted, got %v", key, col, err)
			}
		}
	}
}
