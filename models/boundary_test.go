package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestIdleTimeoutBoundary: SPEC §9's idle timeout is 30 minutes: a session
// idle for 29 minutes lives, one idle for 31 minutes has ended (and names
// its user, so that what was being posted can be kept for them).
func TestIdleTimeoutBoundary(t *testing.T) {
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	var cookies [2]string
	var userID string
	err := models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail(logins[models.RoleSocialWorker])
		if err != nil {
			return err
		}
		userID = u.ID
		for i := range cookies {
			if _, cookies[i], err = st.NewSession(u.ID, "de", true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, idle := range []string{"29 minutes", "31 minutes"} {
		id, _, _ := strings.Cut(cookies[i], ".")
		dbtest.Exec(t, tdb.Gorm, "UPDATE auth.sessions SET last_seen_at = now() - interval '"+idle+"' WHERE id = ?", id)
	}
	err = models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		if _, err := st.SessionByCookie(cookies[0]); err != nil {
			t.Errorf("a session idle for 29 minutes ended: %v", err)
		}
		_, err := st.SessionByCookie(cookies[1])
		var exp *models.ExpiredSessionError
		if !errors.As(err, &exp) || exp.UserID != userID || !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a session idle for 31 minutes: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPasswordMinimumBoundary: SPEC §9 asks for at least 12 characters,
// counted as characters (not bytes): 11 are refused, 12 accepted, for new
// accounts and for a change of password. (The 12-character passwords are
// also hard enough to guess: zxcvbn score ≥ 3.)
func TestPasswordMinimumBoundary(t *testing.T) {
	tdb := dbtest.New(t)
	dbtest.Seed(t, tdb.Gorm)
	err := models.InTx(context.Background(), tdb.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		for i, tc := range []struct {
			password string
			ok       bool
		}{{"elf-zeichen", false}, {"zwölf-Zeich7", true}, {"äöüäöüäöüäö", false}, {"ßäq7-ÜöwZ€ä3", true}} {
			_, err := st.CreateUser(models.NewUserInput{Email: fmt.Sprintf("grenze%d@es.test", i), Name: "Grenze", Role: models.RoleSocialWorker,
				SiteCode: "ES", Password: tc.password})
			var ve *models.ValidationError
			switch {
			case tc.ok && err != nil:
				t.Errorf("%d characters refused: %v", len([]rune(tc.password)), err)
			case !tc.ok && (!errors.As(err, &ve) || ve.Fields[0].Field != "password"):
				t.Errorf("%d characters: %v, want a refusal of the password", len([]rune(tc.password)), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail("grenze1@es.test")
		if err != nil {
			return err
		}
		var ve *models.ValidationError
		if err := st.ChangePassword(u, "zwölf-Zeich7", "elf-zeichen", "elf-zeichen"); !errors.As(err, &ve) || ve.Fields[0].Field != "new_password" {
			t.Errorf("change to 11 characters: %v", err)
		}
		if err := st.ChangePassword(u, "zwölf-Zeich7", "Kranich-9+Öl", "Kranich-9+Öl"); err != nil {
			t.Errorf("change to 12 characters: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
