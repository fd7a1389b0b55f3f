package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// relation is a table or view of one of Kurve's schemas.
type relation struct{ schema, name string }

func (r relation) String() string { return r.schema + "." + r.name }

func relations(t *testing.T, db *gorm.DB) []relation {
	t.Helper()
	var rels []relation
	rows, err := db.Raw(`SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname IN ('org','auth','audit','prevention','enforcement','statistics','stats_base') AND c.relkind IN ('r','v','m','p')
		ORDER BY 1, 2`).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r relation
		if err := rows.Scan(&r.schema, &r.name); err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	if len(rels) < 9 {
		t.Fatalf("found only %d relations: %v", len(rels), rels)
	}
	return rels
}

// readable is the wall (SPEC §5): which schemas each database role may read.
// org.users is readable by prevention only in part (no password hashes).
var readable = map[models.DBRole]map[string]bool{
	models.DBPrevention: {"org.sites": true, "org.users": true, "org.mediator_languages": true, "prevention": true},
	// Mediators: names, languages, contact, address; no consents, status
	// history or case counters (and, per column, no birth date or notes).
	models.DBMediation: {"org.sites": true, "org.users": true, "prevention.participants": true, "prevention.families": true,
		"prevention.family_languages": true, "prevention.guardians": true, "prevention.participant_guardians": true,
		"prevention.assignments": true, "prevention.visits": true, "org.mediator_languages": true,
		// The search index's hashes of what they may see (names; the app
		// never hashes a birth date for them).
		"prevention.search_tokens": true},
	models.DBEnforcement: {"org.sites": true, "enforcement": true},
	models.DBStatistics:  {"org.sites": true, "statistics": true},
	// The admin: sites, staff, mediators' languages and the set-password
	// links it issues (issue 13); no case content.
	models.DBAdmin: {"org.sites": true, "org.users": true, "org.mediator_languages": true, "auth.password_links": true},
	// The data-protection officer: the audit log, sites and (per column)
	// staff; no record of either side.
	models.DBDPO:  {"org.sites": true, "org.users": true, "audit.events": true, "audit.retention_runs": true},
	models.DBAuth: {"org.sites": true, "org.users": true, "auth": true},
}

// nobodyReads are relations no application role may read: the visits'
// bookings are kept by a trigger and read only by visit_conflict().
var nobodyReads = map[string]bool{"prevention.visit_bookings": true}

// everyoneReads are relations every role of a request reads, each user
// only their own rows (row security): the kept answers of idempotent
// requests. kurve_jobs serves no request.
var everyoneReads = map[string]bool{"auth.idempotency_keys": true}

func mayRead(role models.DBRole, r relation) bool {
	return everyoneReads[r.String()] && role != models.DBJobs || !nobodyReads[r.String()] && (readable[role][r.schema] || readable[role][r.String()])
}

// asRole runs sql under role in its own transaction and returns the error.
func asRole(db *gorm.DB, role models.DBRole, actor models.Actor, sql string, args ...any) error {
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE " + string(role)).Error; err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		if err := tx.Exec("SELECT set_config('kurve.user_id', ?, true), set_config('kurve.site_id', ?, true), set_config('kurve.role', ?, true)",
			actor.UserID, actor.SiteID, string(actor.Role)).Error; err != nil {
			return err
		}
		return tx.Exec(sql, args...).Error
	})
}

// TestWallSelect runs SELECT on every table and view of every schema as
// every role: each role is refused everything outside its side.
func TestWallSelect(t *testing.T) {
	tdb := dbtest.New(t)
	rels := relations(t, tdb.Gorm)
	for _, role := range models.DBRoles {
		for _, rel := range rels {
			err := asRole(tdb.Gorm, role, models.Actor{}, "SELECT 1 FROM "+rel.String()+" LIMIT 1")
			switch {
			case mayRead(role, rel) && err != nil:
				t.Errorf("%s should read %s: %v", role, rel, err)
			case !mayRead(role, rel) && !models.IsPermissionDenied(err):
				t.Errorf("%s must be refused on %s, got %v", role, rel, err)
			}
		}
	}
}

// TestWallWrite checks that no role may write outside its side and that
// nobody but the owner may change or delete audit entries.
func TestWallWrite(t *testing.T) {
	tdb := dbtest.New(t)
	rels := relations(t, tdb.Gorm)
	// Table-level write privileges each role has: I(nsert), U(pdate),
	// D(elete). Anything else must be absent. (audit.events gets a
	// column-level INSERT only, checked by running it below.)
	writable := map[models.DBRole]map[string]string{
		models.DBPrevention: {"prevention.participants": "IU", "prevention.case_counters": "IU", "prevention.families": "IU",
			"prevention.family_languages": "ID", "prevention.guardians": "IU", "prevention.participant_guardians": "IUD",
			"prevention.consents": "IU", "prevention.consent_events": "I", "prevention.status_changes": "I",
			"prevention.assignments": "I", "prevention.intake_decisions": "I",
			"prevention.measures": "IU", "prevention.measure_modules": "IU", "prevention.sessions": "IU", "prevention.goals": "IU",
			"prevention.session_staff": "ID", "prevention.session_participants": "IUD", "prevention.reviews": "I",
			"prevention.extensions": "I", "prevention.closings": "I", "prevention.visits": "IU",
			"prevention.groups": "I", "prevention.group_members": "ID", "prevention.search_tokens": "ID",
			// Assessments are appended, never changed; items are added, and
			// per column corrected and retired (issue 17).
			"prevention.assessment_items": "I", "prevention.assessments": "I", "prevention.assessment_scores": "I"},
		models.DBMediation:   {"org.mediator_languages": "ID"},
		models.DBEnforcement: {"enforcement.referrals": "I", "enforcement.police_contacts": "I"}, // contacts: never changed (issue 17)
		models.DBStatistics:  {},
		models.DBAdmin:       {"org.sites": "IU", "org.users": "IU", "org.mediator_languages": "ID", "auth.password_links": "I"},
		models.DBDPO:         {"audit.retention_runs": "IU"}, // the retention run records its day
		models.DBAuth: {"org.users": "IU", "auth.sessions": "IUD", "auth.api_tokens": "IUD", "auth.login_failures": "IUD", "auth.calendar_feeds": "IUD",
			"auth.idempotency_keys": "IUD", "auth.parked_forms": "ID", "auth.password_links": "D"},
	}
	// Every side keeps and reads its own idempotency keys (by row security,
	// TestIdempotencyKeysOwnOnly); only kurve_auth purges them.
	for _, role := range []models.DBRole{models.DBPrevention, models.DBMediation, models.DBEnforcement, models.DBStatistics, models.DBAdmin, models.DBDPO} {
		writable[role]["auth.idempotency_keys"] = "IU"
	}
	for _, role := range models.DBRoles {
		for _, rel := range rels {
			for _, priv := range []string{"INSERT", "UPDATE", "DELETE"} {
				var has bool
				err := tdb.Gorm.Raw("SELECT has_table_privilege(?, ?, ?)", string(role), rel.String(), priv).Scan(&has).Error
				if err != nil {
					t.Fatal(err)
				}
				want := strings.Contains(writable[role][rel.String()], priv[:1])
				if has != want {
					t.Errorf("%s %s on %s: has=%v want=%v", role, priv, rel, has, want)
				}
			}
		}
		// The audit log is append-only for every app role.
		if err := asRole(tdb.Gorm, role, models.Actor{}, "DELETE FROM audit.events"); !models.IsPermissionDenied(err) {
			t.Errorf("%s may delete audit entries: %v", role, err)
		}
		if err := asRole(tdb.Gorm, role, models.Actor{}, "UPDATE audit.events SET action = 'x'"); !models.IsPermissionDenied(err) {
			t.Errorf("%s may update audit entries: %v", role, err)
		}
		err := asRole(tdb.Gorm, role, models.Actor{}, "INSERT INTO audit.events (action) VALUES ('test.wall')")
		switch {
		case role == models.DBJobs && !models.IsPermissionDenied(err):
			t.Errorf("%s (no request's role) may append to the audit log: %v", role, err)
		case role != models.DBJobs && err != nil:
			t.Errorf("%s cannot append to the audit log: %v", role, err)
		}
	}
}

// TestWallPasswordHashes: the prevention side may list colleagues, never
// their password hashes.
func TestWallPasswordHashes(t *testing.T) {
	tdb := dbtest.New(t)
	dbtest.Seed(t, tdb.Gorm)
	if err := asRole(tdb.Gorm, models.DBPrevention, models.Actor{}, "SELECT id, name, role FROM org.users"); err != nil {
		t.Fatalf("prevention cannot list staff: %v", err)
	}
	for _, role := range []models.DBRole{models.DBPrevention, models.DBEnforcement, models.DBStatistics, models.DBDPO} {
		if err := asRole(tdb.Gorm, role, models.Actor{}, "SELECT password_hash FROM org.users"); !models.IsPermissionDenied(err) {
			t.Errorf("%s reads password hashes: %v", role, err)
		}
	}
}

// TestMediatorColumns: a mediator's role cannot read birth dates, school,
// notes or custody, whatever the query.
func TestMediatorColumns(t *testing.T) {
	tdb := dbtest.New(t)
	for _, sql := range []string{
		"SELECT date_of_birth_enc FROM prevention.participants",
		"SELECT notes_enc FROM prevention.participants",
		"SELECT school_enc FROM prevention.participants",
		"SELECT * FROM prevention.participants",
		"SELECT has_custody FROM prevention.participant_guardians",
		"SELECT created_by FROM prevention.assignments",
		"SELECT email FROM org.users",
	} {
		if err := asRole(tdb.Gorm, models.DBMediation, models.Actor{}, sql); !models.IsPermissionDenied(err) {
			t.Errorf("mediator: %s: %v", sql, err)
		}
	}
	for _, sql := range []string{
		"SELECT id, case_number, first_name_enc, last_name_enc, languages, status FROM prevention.participants",
		"SELECT address_enc, phone_enc FROM prevention.families",
		"SELECT first_name_enc, phone_enc FROM prevention.guardians",
	} {
		if err := asRole(tdb.Gorm, models.DBMediation, models.Actor{}, sql); err != nil {
			t.Errorf("mediator: %s: %v", sql, err)
		}
	}
}

func TestSwitchRoleRejectsUnknownRole(t *testing.T) {
	tdb := dbtest.New(t)
	err := models.InTx(context.Background(), tdb.Gorm, models.DBRole("postgres"), models.Actor{}, func(*models.Store) error { return nil })
	if err == nil {
		t.Fatal("switching to an arbitrary role was accepted")
	}
}

// TestNoEthnicityFields: no column records ethnicity, nationality, "clan"
// affiliation or religion (SPEC §5); languages are recorded, nothing else.
func TestNoEthnicityFields(t *testing.T) {
	tdb := dbtest.New(t)
	var cols []string
	err := tdb.Gorm.Raw(`SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema IN ('org','auth','audit','prevention','enforcement','statistics')
		AND column_name ~* '(ethni|nation|citizen|clan|tribe|religio|origin|race|migration|herkunft|staatsang)'`).Scan(&cols).Error
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) > 0 {
		t.Errorf("columns that record origin: %v", cols)
	}
}

// TestIdempotencyKeysOwnOnly: a user's kept answers are theirs: another
// user, or a request without a user, sees and changes none of them, and
// nobody may store a key in another user's name.
func TestIdempotencyKeysOwnOnly(t *testing.T) {
	w := newWorld(t)
	sw, sw2, coordDU := w.users["sw"], w.users["sw2"], w.users["coordDU"]
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO auth.idempotency_keys (id, user_id, key, request_hash, status)
		VALUES (gen_random_uuid(), ?, 'k1', '\x00', 201)`, sw.ID)
	var status int
	for _, role := range []models.DBRole{models.DBPrevention, models.DBMediation, models.DBEnforcement, models.DBStatistics, models.DBAdmin, models.DBDPO} {
		for name, actor := range map[string]models.Actor{
			"owner":      {UserID: sw.ID, SiteID: sw.SiteID, Role: sw.Role},
			"colleague":  {UserID: sw2.ID, SiteID: sw2.SiteID, Role: sw2.Role},
			"other site": {UserID: coordDU.ID, SiteID: coordDU.SiteID, Role: coordDU.Role},
			"no user":    {},
		} {
			// The owner's key with the owner's body: kept, so no new claim.
			err := models.InTx(context.Background(), w.db.Gorm, role, actor, func(st *models.Store) error {
				_, claim, err := st.ClaimIdempotencyKey(sw.ID, "k1", []byte{0})
				if err == nil && claim != "" {
					return errors.New("claimed anew")
				}
				return err
			})
			switch {
			case name == "owner" && err != nil:
				t.Errorf("%s: the owner cannot read their key: %v", role, err)
			case name != "owner" && err == nil:
				t.Errorf("%s: %s claimed or read another user's key", role, name)
			}
		}
		// Writing a key in another user's name is refused by the policy.
		err := asRole(w.db.Gorm, role, models.Actor{UserID: sw2.ID, SiteID: sw2.SiteID, Role: sw2.Role},
			`INSERT INTO auth.idempotency_keys (id, user_id, key, request_hash) VALUES (gen_random_uuid(), ?, 'forged', '\x00')`, sw.ID)
		if err == nil {
			t.Errorf("%s stored a key in another user's name", role)
		}
		if err := asRole(w.db.Gorm, role, models.Actor{UserID: sw2.ID, SiteID: sw2.SiteID, Role: sw2.Role},
			`UPDATE auth.idempotency_keys SET status = 500`); err != nil {
			t.Errorf("%s update: %v", role, err)
		}
		w.db.Gorm.Raw("SELECT status FROM auth.idempotency_keys WHERE key = 'k1'").Scan(&status)
		if status != 201 {
			t.Fatalf("%s changed another user's kept answer: status %d", role, status)
		}
	}
}
