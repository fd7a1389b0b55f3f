package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestRequestPool (issue 15): the requests' pool starts every connection
// as kurve_auth, never as the login role (also after RESET ROLE), with the
// statement timeout; an API token's lookup switches its transaction to the
// user's database role and actor in the same statement, and an unknown,
// altered or expired token switches nothing.
func TestRequestPool(t *testing.T) {
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	pool, err := models.OpenRequests(tdb.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(pool)
	ctx := context.Background()
	settings := func(st *models.Store) []string {
		t.Helper()
		got, err := models.SettingsForTest(st)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	tokens := map[models.Role]string{}
	users := map[models.Role]*models.User{}
	err = models.InTx(ctx, pool, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		if got := settings(st); got[0] != "kurve_auth" || got[1] != "" || got[3] != "" || got[5] != "15s" {
			t.Errorf("a request's transaction starts as %v, want kurve_auth without actor, timeout 15s", got)
		}
		for _, r := range []models.Role{models.RoleSocialWorker, models.RoleMediator, models.RolePoliceLiaison} {
			u, err := st.UserByEmail(logins[r])
			if err != nil {
				return err
			}
			_, plain, err := st.CreateAPIToken(u.ID, "script", time.Hour)
			if err != nil {
				return err
			}
			tokens[r], users[r] = plain, u
		}
		// RESET ROLE leads back to kurve_auth, not to the login role.
		if err := models.ExecForTest(st, "RESET ROLE"); err != nil {
			return err
		}
		if got := settings(st); got[0] != "kurve_auth" {
			t.Errorf("RESET ROLE on a request connection gives %s", got[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	day := time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)
	for r, plain := range tokens {
		u := users[r]
		err := models.InTx(ctx, pool, models.DBAuth, models.Actor{}, func(st *models.Store) error {
			got, err := st.UserByAPITokenActing(plain, day)
			if err != nil {
				return err
			}
			want := []string{string(r.DBRole()), u.ID, u.SiteID, string(r), "2026-12-24", "15s"}
			if s := settings(st); got.ID != u.ID || !slices.Equal(s, want) {
				t.Errorf("%s: switched to %v, want %v", r, s, want)
			}
			if a := st.Actor(); a.UserID != u.ID || a.SiteID != u.SiteID || a.Role != r || !a.Today.Equal(day) {
				t.Errorf("%s: store acts for %+v", r, a)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
	var used int
	tdb.Gorm.Raw("SELECT count(*) FROM auth.api_tokens WHERE last_used_at IS NOT NULL").Scan(&used)
	if used != len(tokens) {
		t.Errorf("%d of %d tokens marked as used", used, len(tokens))
	}

	refused := map[string]string{"altered": tokens[models.RoleSocialWorker] + "x", "unknown": models.TokenPrefix + "nothing"}
	if err := tdb.Gorm.Exec("UPDATE auth.api_tokens SET expires_at = now() - interval '1 second' WHERE user_id = ?",
		users[models.RoleMediator].ID).Error; err != nil {
		t.Fatal(err)
	}
	refused["expired"] = tokens[models.RoleMediator]
	for what, plain := range refused {
		err := models.InTx(ctx, pool, models.DBAuth, models.Actor{}, func(st *models.Store) error {
			if _, err := st.UserByAPITokenActing(plain, day); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s token: %v, want not found", what, err)
			}
			if s := settings(st); s[0] != "kurve_auth" || s[1] != "" {
				t.Errorf("%s token switched to %v", what, s)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
