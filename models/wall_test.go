package models_test

import (
	"context"
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
		WHERE n.nspname IN ('org','auth','audit','prevention','enforcement','statistics') AND c.relkind IN ('r','v','m','p')
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
	models.DBPrevention:  {"org.sites": true, "org.users": true, "prevention": true},
	models.DBEnforcement: {"org.sites": true, "enforcement": true},
	models.DBStatistics:  {"org.sites": true, "statistics": true},
	models.DBAdmin:       {"org.sites": true, "org.users": true},
	models.DBAuth:        {"org.sites": true, "org.users": true, "auth": true},
}

func mayRead(role models.DBRole, r relation) bool {
	return readable[role][r.schema] || readable[role][r.String()]
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
		models.DBPrevention:  {"prevention.participants": "IU"},
		models.DBEnforcement: {"enforcement.referrals": "I"},
		models.DBStatistics:  {},
		models.DBAdmin:       {"org.sites": "IU", "org.users": "IU"},
		models.DBAuth:        {"org.users": "IU", "auth.sessions": "IUD", "auth.api_tokens": "IUD", "auth.login_failures": "IUD"},
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
		if err := asRole(tdb.Gorm, role, models.Actor{}, "INSERT INTO audit.events (action) VALUES ('test.wall')"); err != nil {
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
	for _, role := range []models.DBRole{models.DBPrevention, models.DBEnforcement, models.DBStatistics} {
		if err := asRole(tdb.Gorm, role, models.Actor{}, "SELECT password_hash FROM org.users"); !models.IsPermissionDenied(err) {
			t.Errorf("%s reads password hashes: %v", role, err)
		}
	}
}

// TestRowLevelSecurity checks the first policies: coordinators see their
// site's participants only; police liaisons see and submit only their own
// referrals; without an actor nothing is visible.
func TestRowLevelSecurity(t *testing.T) {
	tdb := dbtest.New(t)
	dbtest.Seed(t, tdb.Gorm)
	db := tdb.Gorm
	var es, du string
	db.Raw("SELECT id FROM org.sites WHERE code = 'ES'").Scan(&es)
	db.Raw("SELECT id FROM org.sites WHERE code = 'DU'").Scan(&du)
	dbtest.Exec(t, db, "INSERT INTO prevention.participants (site_id, case_number) VALUES (?, 'ES-2026-0001'), (?, 'DU-2026-0001')", es, du)
	var police, coord, sw string
	db.Raw("SELECT id FROM org.users WHERE role = 'police_liaison'").Scan(&police)
	db.Raw("SELECT id FROM org.users WHERE role = 'coordinator'").Scan(&coord)
	db.Raw("SELECT id FROM org.users WHERE role = 'social_worker'").Scan(&sw)
	other := "00000000-0000-0000-0000-000000000001"

	count := func(role models.DBRole, actor models.Actor, sql string) (n int64) {
		t.Helper()
		err := db.Transaction(func(tx *gorm.DB) error {
			st := models.NewStoreForTest(tx)
			if err := st.SwitchRole(role, actor); err != nil {
				return err
			}
			return tx.Raw(sql).Scan(&n).Error
		})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	participants := "SELECT count(*) FROM prevention.participants"
	if n := count(models.DBPrevention, models.Actor{UserID: coord, SiteID: es, Role: models.RoleCoordinator}, participants); n != 1 {
		t.Errorf("coordinator of ES sees %d participants, want 1", n)
	}
	if n := count(models.DBPrevention, models.Actor{UserID: sw, SiteID: es, Role: models.RoleSocialWorker}, participants); n != 0 {
		t.Errorf("unassigned social worker sees %d participants, want 0", n)
	}
	if n := count(models.DBPrevention, models.Actor{}, participants); n != 0 {
		t.Errorf("no actor sees %d participants, want 0", n)
	}

	insert := "INSERT INTO enforcement.referrals (site_id, submitted_by) VALUES ('" + es + "', '%s')"
	if err := asRole(db, models.DBEnforcement, models.Actor{UserID: police, Role: models.RolePoliceLiaison}, fmt.Sprintf(insert, police)); err != nil {
		t.Fatalf("police liaison cannot submit own referral: %v", err)
	}
	if err := asRole(db, models.DBEnforcement, models.Actor{UserID: police, Role: models.RolePoliceLiaison}, fmt.Sprintf(insert, coord)); err == nil {
		t.Error("police liaison submitted a referral in someone else's name")
	}
	referrals := "SELECT count(*) FROM enforcement.referrals"
	if n := count(models.DBEnforcement, models.Actor{UserID: police, Role: models.RolePoliceLiaison}, referrals); n != 1 {
		t.Errorf("police liaison sees %d own referrals, want 1", n)
	}
	if n := count(models.DBEnforcement, models.Actor{UserID: other, Role: models.RolePoliceLiaison}, referrals); n != 0 {
		t.Errorf("another police liaison sees %d referrals, want 0", n)
	}
	// Statistics reads the aggregate, never the rows behind it.
	var agg int64
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE kurve_statistics").Error; err != nil {
			return err
		}
		return tx.Raw("SELECT participants FROM statistics.participants_by_site WHERE site = 'ES'").Scan(&agg).Error
	})
	if err != nil || agg != 1 {
		t.Errorf("statistics aggregate for ES = %d, %v; want 1", agg, err)
	}
}

func TestSwitchRoleRejectsUnknownRole(t *testing.T) {
	tdb := dbtest.New(t)
	err := models.InTx(context.Background(), tdb.Gorm, models.DBRole("postgres"), models.Actor{}, func(*models.Store) error { return nil })
	if err == nil {
		t.Fatal("switching to an arbitrary role was accepted")
	}
}
