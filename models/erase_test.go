package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// eraseAs erases id as the user with email under role (the request role)
// and app role.
func eraseAs(w *world, role models.DBRole, appRole models.Role, id string) (string, error) {
	var u *models.User
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) (err error) {
		u, err = st.UserByEmail("datenschutz@es.kurve.example")
		return err
	})
	if err != nil {
		return "", err
	}
	var cn string
	err = models.InTx(context.Background(), w.db.Gorm, role, models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: appRole},
		func(st *models.Store) (err error) {
			cn, err = st.EraseParticipant(id, "data_subject_request")
			return err
		})
	return cn, err
}

// TestEraseKeepsWhatASiblingNeeds: erasing one of two siblings destroys the
// child's own data and keeps the family and the shared guardian for the
// other; erasing the second destroys them too. Only the dpo may erase,
// and only a case that has ended.
func TestEraseKeepsWhatASiblingNeeds(t *testing.T) {
	w := newWorld(t)
	first := w.newParticipant("coord", "Erste", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	var second *models.Participant
	w.must("coord", func(st *models.Store) (err error) {
		second, err = st.CreateParticipant(models.ParticipantInput{FirstName: ptr("Zweite"), LastName: ptr("Testfall"),
			DateOfBirth: ptr(time.Date(2012, 2, 1, 0, 0, 0, 0, time.UTC)), Gender: ptr("male"), Languages: ptr([]string{"de"})},
			first.FamilyID, models.FamilyInput{}, today)
		return err
	})
	w.assign(first, "sw", models.AssignSocialWorker, today.AddDate(0, -1, 0), nil)
	var guardian string
	w.must("sw", func(st *models.Store) error {
		g, err := st.AddGuardian(first.ID, models.GuardianInput{FirstName: "Mutter", LastName: "Testfall", Phone: "0201 123", Relationship: "mother", HasCustody: true})
		guardian = g.ID
		return err
	})
	dbtest.Exec(t, w.db.Gorm, "INSERT INTO prevention.participant_guardians (participant_id, guardian_id, relationship, has_custody) VALUES (?, ?, 'mother', true)",
		second.ID, guardian)

	// Not while the case is open; never by anyone but the dpo.
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, first.ID); !errors.Is(err, models.ErrCaseOpen) {
		t.Fatalf("erasing an open case: %v", err)
	}
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.participants SET status = 'declined' WHERE id IN (?, ?)", first.ID, second.ID)
	for _, who := range []struct {
		role models.DBRole
		app  models.Role
	}{{models.DBDPO, models.RoleCoordinator}, {models.DBPrevention, models.RoleCoordinator}, {models.DBAdmin, models.RoleDPO}} {
		if _, err := eraseAs(w, who.role, who.app, first.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("%s as %s erased: %v", who.app, who.role, err)
		}
	}

	count := func(sql string, args ...any) int {
		var n int
		if err := w.db.Gorm.Raw(sql, args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if cn, err := eraseAs(w, models.DBDPO, models.RoleDPO, first.ID); err != nil || cn != first.CaseNumber {
		t.Fatalf("erase: %q %v", cn, err)
	}
	if n := count("SELECT count(*) FROM prevention.participants WHERE id = ? AND first_name_enc = '' AND notes_enc IS NULL AND erased_at IS NOT NULL", first.ID); n != 1 {
		t.Error("the erased child's data remain")
	}
	if n := count("SELECT count(*) FROM prevention.families WHERE id = ? AND address_enc IS NOT NULL", first.FamilyID); n != 1 {
		t.Error("the family the sibling still needs was erased")
	}
	if n := count("SELECT count(*) FROM prevention.guardians WHERE id = ? AND first_name_enc <> '' AND phone_enc IS NOT NULL", guardian); n != 1 {
		t.Error("the guardian the sibling still needs was erased")
	}
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, first.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("erasing twice: %v", err)
	}
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, second.ID); err != nil {
		t.Fatal(err)
	}
	if n := count("SELECT count(*) FROM prevention.families WHERE id = ? AND address_enc IS NULL AND phone_enc IS NULL", first.FamilyID); n != 1 {
		t.Error("the family outlives its last child")
	}
	if n := count("SELECT count(*) FROM prevention.guardians WHERE id = ? AND first_name_enc = '' AND phone_enc IS NULL", guardian); n != 1 {
		t.Error("the guardian outlives the last child")
	}
}
