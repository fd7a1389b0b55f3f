package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"kurve/migrations"
	"kurve/models"
	"kurve/models/dbtest"
)

func inTx(t *testing.T, tdb *dbtest.DB, role models.DBRole, fn func(st *models.Store) error) {
	t.Helper()
	if err := models.InTx(context.Background(), tdb.Gorm, role, models.Actor{}, fn); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateIsIdempotentAndSchemaCheck(t *testing.T) {
	tdb := dbtest.New(t)
	n, err := models.Migrate(context.Background(), tdb.Gorm, migrations.FS)
	if err != nil || n != 0 {
		t.Fatalf("second migrate applied %d, %v", n, err)
	}
	st, err := models.CheckSchema(context.Background(), tdb.Gorm, migrations.FS)
	if err != nil || !st.UpToDate() {
		t.Fatalf("schema %+v %v, want up to date", st, err)
	}
	// A database that is behind is reported as such.
	dbtest.Exec(t, tdb.Gorm, "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")
	st, err = models.CheckSchema(context.Background(), tdb.Gorm, migrations.FS)
	if err != nil || st.UpToDate() {
		t.Fatalf("schema %+v %v, want behind", st, err)
	}
}

func TestCreateUserValidationAndUniqueness(t *testing.T) {
	tdb := dbtest.New(t)
	dbtest.Seed(t, tdb.Gorm)
	inTx(t, tdb, models.DBAdmin, func(st *models.Store) error {
		_, err := st.CreateUser(models.NewUserInput{Email: "not-an-address", Name: "", Role: "chief", SiteCode: "ES", Password: "short"})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 4 {
			t.Fatalf("want 4 invalid fields, got %v", err)
		}
		_, err = st.CreateUser(models.NewUserInput{Email: "X@example.org", Name: "Test Person", Role: models.RoleAdmin, SiteCode: "ZZ", Password: "long enough password"})
		if !errors.As(err, &ve) || ve.Fields[0].Field != "site" {
			t.Fatalf("unknown site accepted: %v", err)
		}
		u, err := st.CreateUser(models.NewUserInput{Email: " X@Example.org ", Name: "Test Person", Role: models.RoleAdmin, SiteCode: "ES", Password: "long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "x@example.org" || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Fatalf("email %q hash %q", u.Email, u.PasswordHash[:10])
		}
		return nil
	})
	err := models.InTx(context.Background(), tdb.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		_, err := st.CreateUser(models.NewUserInput{Email: "x@example.org", Name: "Other", Role: models.RoleAdmin, SiteCode: "ES", Password: "long enough password"})
		return err
	})
	if !errors.Is(err, models.ErrConflict) {
		t.Fatalf("duplicate e-mail: %v", err)
	}
}

func TestPasswordCheck(t *testing.T) {
	h, err := models.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !models.CheckPassword("correct horse battery", h) {
		t.Error("right password refused")
	}
	if models.CheckPassword("wrong", h) || models.CheckPassword("correct horse battery", "") {
		t.Error("wrong password or unknown user accepted")
	}
}

func TestSessionLifecycle(t *testing.T) {
	tdb := dbtest.New(t)
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		sess, cookie, err := st.NewSession("", "ar", false)
		if err != nil {
			return err
		}
		got, err := st.SessionByCookie(cookie)
		if err != nil || got.ID != sess.ID || *got.Language != "ar" || got.CSRFToken == "" {
			t.Fatalf("lookup: %+v %v", got, err)
		}
		id, _, _ := strings.Cut(cookie, ".")
		for _, bad := range []string{id + ".wrongsecret", id, "", "x.y", cookie + "x"} {
			if _, err := st.SessionByCookie(bad); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("cookie %q accepted: %v", bad, err)
			}
		}
		return nil
	})
	// The secret is stored hashed only.
	var stored int64
	tdb.Gorm.Raw("SELECT count(*) FROM auth.sessions WHERE length(secret_hash) = 32").Scan(&stored)
	if stored != 1 {
		t.Fatalf("want 1 hashed session, got %d", stored)
	}
	// Idle timeout.
	var cookie string
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		_, c, err := st.NewSession("", "", false)
		cookie = c
		return err
	})
	dbtest.Exec(t, tdb.Gorm, "UPDATE auth.sessions SET last_seen_at = now() - interval '31 minutes'")
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		if _, err := st.SessionByCookie(cookie); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("idle session still valid: %v", err)
		}
		return nil
	})
}

// TestSessionLanguage: the language an error page reads from a cookie is
// the user's setting, else the choice before login; nothing for a forged,
// unknown or expired cookie; and the lookup leaves the session as it was.
func TestSessionLanguage(t *testing.T) {
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	var user, anon, none string
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		u, err := st.UserByEmail(logins[models.RoleSocialWorker])
		if err != nil {
			return err
		}
		if err := st.SetUserLanguage(u.ID, "tr"); err != nil {
			return err
		}
		// The session's own choice ("ar") gives way to the user's setting.
		if _, user, err = st.NewSession(u.ID, "ar", true); err != nil {
			return err
		}
		if _, anon, err = st.NewSession("", "en", false); err != nil {
			return err
		}
		_, none, err = st.NewSession("", "", false)
		return err
	})
	dbtest.Exec(t, tdb.Gorm, "UPDATE auth.sessions SET last_seen_at = now() - interval '10 minutes'")
	id, _, _ := strings.Cut(anon, ".")
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		for _, tc := range []struct{ cookie, want string }{
			{user, "tr"}, {anon, "en"}, {none, ""}, {id + ".wrongsecret", ""}, {"x.y", ""}, {"", ""},
		} {
			if got, err := st.SessionLanguage(tc.cookie); err != nil || got != tc.want {
				t.Errorf("cookie %.12q: %q, %v; want %q", tc.cookie, got, err, tc.want)
			}
		}
		return nil
	})
	var touched int64
	tdb.Gorm.Raw("SELECT count(*) FROM auth.sessions WHERE last_seen_at > now() - interval '9 minutes'").Scan(&touched)
	if touched != 0 {
		t.Errorf("the lookup touched %d sessions", touched)
	}
	dbtest.Exec(t, tdb.Gorm, "UPDATE auth.sessions SET last_seen_at = now() - interval '31 minutes'")
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		if got, err := st.SessionLanguage(anon); err != nil || got != "" {
			t.Errorf("expired session: %q, %v", got, err)
		}
		return nil
	})
}

func TestAPITokens(t *testing.T) {
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		u, err := st.UserByEmail(logins[models.RoleCoordinator])
		if err != nil {
			return err
		}
		if _, _, err := st.CreateAPIToken(u.ID, "x", 400*24*time.Hour); err == nil {
			t.Error("token longer than a year accepted")
		}
		tok, plain, err := st.CreateAPIToken(u.ID, "script", time.Hour)
		if err != nil {
			return err
		}
		got, err := st.UserByAPIToken(plain)
		if err != nil || got.ID != u.ID {
			t.Fatalf("token lookup: %v", err)
		}
		if _, err := st.UserByAPIToken(plain + "x"); !errors.Is(err, models.ErrNotFound) {
			t.Error("altered token accepted")
		}
		if err := st.DeleteAPIToken(u.ID, tok.ID); err != nil {
			return err
		}
		if _, err := st.UserByAPIToken(plain); !errors.Is(err, models.ErrNotFound) {
			t.Error("revoked token accepted")
		}
		_, expired, err := st.CreateAPIToken(u.ID, "old", time.Hour)
		if err != nil {
			return err
		}
		if err := tdbExpire(st); err != nil {
			return err
		}
		if _, err := st.UserByAPIToken(expired); !errors.Is(err, models.ErrNotFound) {
			t.Error("expired token accepted")
		}
		return nil
	})
	// Only SHA-256 digests (32 bytes) are stored, never a token's text:
	// no stored value contains the "kurve_" prefix.
	var stored, plainStored int64
	if err := tdb.Gorm.Raw(`SELECT count(*), count(*) FILTER (WHERE length(token_hash) <> 32
		OR position('\x6b757276655f'::bytea IN token_hash) > 0) FROM auth.api_tokens`).Row().Scan(&stored, &plainStored); err != nil {
		t.Fatal(err)
	}
	if stored == 0 || plainStored != 0 {
		t.Fatalf("%d tokens stored, %d of them not as a SHA-256 digest", stored, plainStored)
	}
}

func tdbExpire(st *models.Store) error { return models.ExpireTokensForTest(st) }

func TestLoginThrottle(t *testing.T) {
	tdb := dbtest.New(t)
	inTx(t, tdb, models.DBAuth, func(st *models.Store) error {
		for i := 0; i < models.MaxFailuresPerEmail; i++ {
			if thr, err := st.LoginThrottled("a@example.org", "192.0.2.1"); err != nil || thr {
				t.Fatalf("throttled after %d failures: %v", i, err)
			}
			if err := st.RecordLoginFailure("a@example.org", "192.0.2.1"); err != nil {
				return err
			}
		}
		if thr, _ := st.LoginThrottled("A@example.org", "192.0.2.9"); !thr {
			t.Error("e-mail not throttled after max failures (other address)")
		}
		if thr, _ := st.LoginThrottled("b@example.org", "192.0.2.1"); thr {
			t.Error("other e-mail throttled too early")
		}
		if err := st.ClearLoginFailures("a@example.org"); err != nil {
			return err
		}
		if thr, _ := st.LoginThrottled("a@example.org", "192.0.2.9"); thr {
			t.Error("still throttled after a good login")
		}
		return nil
	})
}

func TestDataKeyFormat(t *testing.T) {
	k := models.GenerateDataKey()
	parsed, err := models.ParseDataKey(k)
	if err != nil || len(parsed.Key) != 32 || !strings.HasPrefix(k, parsed.ID+":") {
		t.Fatalf("round trip: %v", err)
	}
	if models.GenerateDataKey() == k {
		t.Fatal("keys repeat")
	}
	for _, bad := range []string{"", "abc", "k0011223344556677:short", "x0011223344556677:" + k[18:], strings.Replace(k, ":", "", 1)} {
		if _, err := models.ParseDataKey(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
		if _, err := models.ParseDataKey(bad); err != nil && strings.Contains(err.Error(), k[18:]) {
			t.Error("error message leaks key material")
		}
	}
}
