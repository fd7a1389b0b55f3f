package models

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// User is a staff account. Every user belongs to one site and has one role.
type User struct {
	ID           string `gorm:"primaryKey;default:gen_random_uuid()"`
	SiteID       string
	Email        string
	Name         string
	Role         Role
	Language     string
	PasswordHash string `json:"-"`
	Active       bool
	Version      int
	// TOTPSecret is the encrypted TOTP secret (pending until enabled).
	TOTPSecret    *string    `gorm:"column:totp_secret" json:"-"`
	TOTPEnabledAt *time.Time `gorm:"column:totp_enabled_at"`
	TOTPLastStep  int64      `gorm:"column:totp_last_step" json:"-"`
	CreatedAt     time.Time  `gorm:"->"`
	UpdatedAt     time.Time
	Site          *Site `gorm:"foreignKey:SiteID"`
}

// TableName implements gorm's Tabler.
func (User) TableName() string { return "org.users" }

// NormalizeEmail lower-cases and trims an e-mail address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// NewUserInput is what creating a user needs.
type NewUserInput struct {
	Email    string
	Name     string
	Role     Role
	SiteCode string
	Language string
	// Password is optional: without it the account has no password until
	// its user sets one through a set-password link.
	Password string
}

// Validate checks the input; messages are message IDs.
func (in *NewUserInput) Validate() error {
	v := &ValidationError{}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		v.Add("email", "validation.email", nil)
	}
	if n := len([]rune(strings.TrimSpace(in.Name))); n < 1 || n > 200 {
		v.Add("name", "validation.required", nil)
	}
	if !in.Role.Valid() {
		v.Add("role", "validation.oneof", nil)
	}
	if in.Language != "" && !ValidLanguage(in.Language) {
		v.Add("language", "validation.oneof", nil)
	}
	if in.Password != "" {
		CheckNewPassword(v, "password", in.Password, in.Email, in.Name)
	}
	return v.OrNil()
}

// CreateUser inserts a new active user, with an argon2id hash of the
// password when one is given.
func (s *Store) CreateUser(in NewUserInput) (*User, error) {
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	site, err := s.SiteByCode(in.SiteCode)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			v := &ValidationError{}
			v.Add("site", "validation.site_unknown", nil)
			return nil, v
		}
		return nil, err
	}
	if !site.Active {
		v := &ValidationError{}
		v.Add("site", "validation.site_inactive", nil)
		return nil, v
	}
	hash := ""
	if in.Password != "" {
		if hash, err = HashPassword(in.Password); err != nil {
			return nil, err
		}
	}
	lang := in.Language
	if lang == "" {
		lang = Languages[0]
	}
	u := &User{SiteID: site.ID, Email: in.Email, Name: in.Name, Role: in.Role, Language: lang,
		PasswordHash: hash, Active: true, Version: 1, UpdatedAt: time.Now()}
	if err := s.db.Create(u).Error; err != nil {
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("models: user: %w", ErrConflict)
		}
		return nil, fmt.Errorf("models: create user: %w", err)
	}
	u.Site = site
	return u, nil
}

// UserByEmail returns the active user with that address, with its site.
func (s *Store) UserByEmail(email string) (*User, error) {
	var u User
	err := s.db.Joins("Site").Where(`"users".email = ? AND "users".active`, NormalizeEmail(email)).Take(&u).Error
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: user by email: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("models: user by email: %w", err)
	}
	return &u, nil
}

// UserByID returns the active user with id, with its site.
func (s *Store) UserByID(id string) (*User, error) {
	var u User
	err := s.db.Joins("Site").Where(`"users".id = ? AND "users".active`, id).Take(&u).Error
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: user %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("models: user %s: %w", id, err)
	}
	return &u, nil
}

// SetUserLanguage changes a user's interface language.
func (s *Store) SetUserLanguage(userID, lang string) error {
	if !ValidLanguage(lang) {
		v := &ValidationError{}
		v.Add("language", "validation.oneof", nil)
		return v
	}
	err := s.db.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"language": lang, "updated_at": time.Now(), "version": gormExpr("version + 1")}).Error
	if err != nil {
		return fmt.Errorf("models: user %s language: %w", userID, err)
	}
	return nil
}

// ChangePassword replaces the user's password after checking the current
// one. Messages are message IDs for the form.
func (s *Store) ChangePassword(u *User, current, next, repeat string) error {
	v := &ValidationError{}
	if !CheckPassword(current, u.PasswordHash) {
		v.Add("current_password", "validation.password_wrong", nil)
	}
	CheckNewPassword(v, "new_password", next, u.Email, u.Name)
	if len(v.Fields) == 0 && next != repeat {
		v.Add("new_password_repeat", "validation.password_mismatch", nil)
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	return s.setPassword(u, next)
}

// setPassword stores the argon2id hash of password as u's.
func (s *Store) setPassword(u *User, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = s.db.Model(&User{}).Where("id = ?", u.ID).
		Updates(map[string]any{"password_hash": hash, "updated_at": time.Now(), "version": gormExpr("version + 1")}).Error
	if err != nil {
		return fmt.Errorf("models: set password of %s: %w", u.ID, err)
	}
	u.PasswordHash = hash
	return nil
}
