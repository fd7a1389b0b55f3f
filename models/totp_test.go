package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"kurve/models"
	"kurve/models/dbtest"
)

const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatchTOTP(t *testing.T) {
	now := time.Unix(1_790_000_000, 0) // a fixed instant, step 59666666
	step := now.Unix() / 30
	cases := []struct {
		name     string
		codeAt   time.Time
		lastStep int64
		ok       bool
		step     int64
	}{
		{"current", now, 0, true, step},
		{"one step early (clock drift)", now.Add(-30 * time.Second), 0, true, step - 1},
		{"one step late", now.Add(30 * time.Second), 0, true, step + 1},
		{"two steps early", now.Add(-60 * time.Second), 0, false, 0},
		{"already used", now, step, false, 0},
		{"older than the last used", now.Add(-30 * time.Second), step, false, 0},
		{"newer than the last used", now.Add(30 * time.Second), step, true, step + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := models.MatchTOTP(testSecret, code(t, testSecret, tc.codeAt), now, tc.lastStep)
			if ok != tc.ok || got != tc.step {
				t.Fatalf("got %d %v, want %d %v", got, ok, tc.step, tc.ok)
			}
		})
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := models.MatchTOTP(testSecret, bad, now, 0); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestTOTPEnrolmentAndReplay(t *testing.T) {
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	cipher, _ := models.NewCipher(models.EphemeralDataKey())
	var secret string
	now := time.Now()
	err := models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		st.UseCipher(cipher)
		u, err := st.UserByEmail(logins[models.RoleSocialWorker])
		if err != nil {
			return err
		}
		if u.SecondFactorRequired() {
			t.Error("social worker needs TOTP before enrolling")
		}
		enr, err := st.StartTOTP(u, "Kurve")
		if err != nil {
			return err
		}
		again, err := st.StartTOTP(u, "Kurve")
		if err != nil || again.Secret != enr.Secret {
			t.Fatalf("pending secret not reused: %v", err)
		}
		secret = enr.Secret
		if ok, _ := st.VerifyTOTP(u, code(t, secret, now), now, false); ok {
			t.Error("login code accepted before enrolment was confirmed")
		}
		if ok, err := st.VerifyTOTP(u, code(t, secret, now), now, true); !ok || err != nil {
			t.Fatalf("confirm: %v %v", ok, err)
		}
		if !u.SecondFactorRequired() {
			t.Error("enrolled user does not need TOTP")
		}
		if _, err := st.StartTOTP(u, "Kurve"); !errors.Is(err, models.ErrConflict) {
			t.Errorf("re-enrolment over an active factor: %v", err)
		}
		u, _ = st.UserByID(u.ID)
		if ok, _ := st.VerifyTOTP(u, code(t, secret, now), now, false); ok {
			t.Error("code replayed")
		}
		later := now.Add(30 * time.Second)
		if ok, _ := st.VerifyTOTP(u, code(t, secret, later), later, false); !ok {
			t.Error("next code refused")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	tdb.Gorm.Raw("SELECT totp_secret FROM org.users WHERE email = ?", logins[models.RoleSocialWorker]).Scan(&stored)
	if stored == "" || strings.Contains(stored, secret) || !strings.HasPrefix(stored, "v1:"+cipher.KeyID()) {
		t.Fatalf("secret not stored encrypted: %q", stored)
	}
	for _, role := range []models.Role{models.RoleAdmin, models.RoleDPO} {
		u := &models.User{Role: role}
		if !u.SecondFactorRequired() {
			t.Errorf("%s does not require TOTP", role)
		}
	}
}
