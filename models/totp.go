package models

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 defaults that every authenticator app knows.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// SecondFactorRequired reports whether the user must pass TOTP after the
// password: always for admin and dpo (SPEC §9), else once enrolled.
func (u *User) SecondFactorRequired() bool {
	return u.Role == RoleAdmin || u.Role == RoleDPO || u.TOTPEnabledAt != nil
}

// TOTPEnabled reports whether the user has confirmed a TOTP secret.
func (u *User) TOTPEnabled() bool { return u.TOTPEnabledAt != nil }

// MatchTOTP checks code against secret at now, allowing one step of clock
// drift either way, and refuses steps at or before lastStep (a code can be
// used once). It returns the matched step.
func MatchTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / int64(totpOpts.Period)
	matched := int64(0)
	for _, s := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*int64(totpOpts.Period), 0), totpOpts)
		if err != nil {
			return 0, false
		}
		// Compare every candidate so that timing does not tell which.
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > lastStep {
			matched = s
		}
	}
	return matched, matched != 0
}

func totpAAD(userID string) string { return "org.users.totp_secret:" + userID }

// TOTPEnrolment is what the set-up page shows.
type TOTPEnrolment struct {
	Secret string
	Key    *otp.Key
}

// StartTOTP returns the user's pending TOTP secret, creating and storing
// (encrypted) a new one when there is none. It refuses when TOTP is already
// enabled, so that a password alone can never replace the second factor.
func (s *Store) StartTOTP(u *User, issuer string) (*TOTPEnrolment, error) {
	if u.TOTPEnabled() {
		return nil, fmt.Errorf("models: totp already enabled: %w", ErrConflict)
	}
	c, err := s.needCipher()
	if err != nil {
		return nil, err
	}
	if u.TOTPSecret != nil {
		secret, err := c.Decrypt(*u.TOTPSecret, totpAAD(u.ID))
		if err == nil {
			key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Secret: mustBase32(secret)})
			if err != nil {
				return nil, fmt.Errorf("models: totp key: %w", err)
			}
			return &TOTPEnrolment{Secret: key.Secret(), Key: key}, nil
		}
		// Encrypted under a key no longer known: start over.
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("models: totp key: %w", err)
	}
	enc, err := c.Encrypt(key.Secret(), totpAAD(u.ID))
	if err != nil {
		return nil, err
	}
	if err := s.db.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"totp_secret": enc, "totp_last_step": 0}).Error; err != nil {
		return nil, fmt.Errorf("models: store totp secret: %w", err)
	}
	u.TOTPSecret = &enc
	return &TOTPEnrolment{Secret: key.Secret(), Key: key}, nil
}

// VerifyTOTP checks a code for the user. With confirm, it enables a pending
// secret; otherwise TOTP must be enabled. The used step is stored.
func (s *Store) VerifyTOTP(u *User, code string, now time.Time, confirm bool) (bool, error) {
	if u.TOTPSecret == nil || (!confirm && !u.TOTPEnabled()) || (confirm && u.TOTPEnabled()) {
		return false, nil
	}
	c, err := s.needCipher()
	if err != nil {
		return false, err
	}
	secret, err := c.Decrypt(*u.TOTPSecret, totpAAD(u.ID))
	if err != nil {
		return false, fmt.Errorf("models: totp secret of %s: %w", u.ID, err)
	}
	step, ok := MatchTOTP(secret, code, now, u.TOTPLastStep)
	if !ok {
		return false, nil
	}
	upd := map[string]any{"totp_last_step": step}
	if confirm {
		upd["totp_enabled_at"] = now
	}
	// The condition on the step makes two concurrent uses of one code fail
	// for all but one of them.
	res := s.db.Model(&User{}).Where("id = ? AND totp_last_step < ?", u.ID, step).Updates(upd)
	if res.Error != nil {
		return false, fmt.Errorf("models: totp step: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	u.TOTPLastStep = step
	if confirm {
		u.TOTPEnabledAt = &now
	}
	return true, nil
}

// DisableTOTP removes the user's second factor.
func (s *Store) DisableTOTP(userID string) error {
	err := s.db.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"totp_secret": nil, "totp_enabled_at": nil, "totp_last_step": 0}).Error
	if err != nil {
		return fmt.Errorf("models: disable totp: %w", err)
	}
	return nil
}

func (s *Store) needCipher() (*Cipher, error) {
	if s.cipher == nil {
		return nil, errors.New("models: no data key configured")
	}
	return s.cipher, nil
}

func mustBase32(secret string) []byte {
	b, err := base32NoPad.DecodeString(secret)
	if err != nil {
		return nil
	}
	return b
}
