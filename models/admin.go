package models

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// Administration (issue 13): what the admin does, as kurve_admin, which
// reads the staff directory and sites and no case content. The rules that
// matter are PostgreSQL's (migration 00020): access ends with
// deactivation, role or site change; such a change waits until the
// user's assignments are ended; the last admin stays.

// PasswordLinkTTL is how long a set-password link works.
const PasswordLinkTTL = 72 * time.Hour

// UserFilter narrows the admin's user list. Query matches name or e-mail
// address (case-insensitive, anywhere); After is the cursor
// (User.Cursor) of the user the previous page ended with.
type UserFilter struct {
	Query    string
	Role     Role
	SiteCode string
	Active   *bool
	After    string
	Limit    int
}

// Users lists users by e-mail address, with their sites.
func (s *Store) Users(f UserFilter) ([]User, error) {
	q := s.db.Joins("Site").Order(`"users".email`)
	if t := strings.TrimSpace(f.Query); t != "" {
		like := "%" + escapeLike(strings.ToLower(t)) + "%"
		q = q.Where(`lower("users".name) LIKE ? OR "users".email LIKE ?`, like, like)
	}
	if f.Role != "" {
		q = q.Where(`"users".role = ?`, f.Role)
	}
	if f.SiteCode != "" {
		q = q.Where(`"Site".code = ?`, f.SiteCode)
	}
	if f.Active != nil {
		q = q.Where(`"users".active = ?`, *f.Active)
	}
	after, err := Page{After: f.After}.keyset("s")
	if err != nil {
		return nil, err
	}
	if after != nil {
		q = q.Where(`"users".email > ?`, after[0])
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var us []User
	if err := q.Find(&us).Error; err != nil {
		return nil, fmt.Errorf("models: users: %w", err)
	}
	return us, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UserForAdmin returns the user with id, active or not, with its site.
func (s *Store) UserForAdmin(id string) (*User, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: user %s: %w", id, ErrNotFound)
	}
	var u User
	if err := s.db.Joins("Site").Where(`"users".id = ?`, id).Take(&u).Error; err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: user %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("models: user %s: %w", id, err)
	}
	return &u, nil
}

// OpenAssignmentsOf counts the assignments the user holds from today on:
// the only thing of a caseload the admin learns (a count, through a
// function of migration 00020).
func (s *Store) OpenAssignmentsOf(userID string) (int, error) {
	var n int
	if err := s.db.Raw("SELECT org.open_assignments_of(?)", userID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("models: open assignments: %w", err)
	}
	return n, nil
}

// OpenAssignmentsError refuses a deactivation, role or site change of a
// user who still has Count assignments, until the admin confirms that
// they end (UserChange.EndAssignments).
type OpenAssignmentsError struct{ Count int }

func (e *OpenAssignmentsError) Error() string {
	return fmt.Sprintf("models: user has %d open assignments", e.Count)
}

// UserChange is what the admin changes of a user; nil fields stay.
type UserChange struct {
	Name     *string
	Role     *Role
	SiteCode *string
	Language *string
	Active   *bool
	Version  int
	// EndAssignments confirms that the user's open assignments end with
	// a deactivation, role or site change.
	EndAssignments bool
}

// UserUpdate reports what UpdateUser did.
type UserUpdate struct {
	User             *User
	Changed          []string // the fields that changed, by name
	AssignmentsEnded int
}

// UpdateUser applies ch to the user with id. Errors: ValidationError
// (fields, and the last-admin and not-oneself rules at "active" or
// "role"), ErrConflict for a stale version, *OpenAssignmentsError.
func (s *Store) UpdateUser(id string, ch UserChange) (*UserUpdate, error) {
	u, err := s.UserForAdmin(id)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	upd := map[string]any{}
	out := &UserUpdate{}
	if ch.Name != nil {
		name := strings.TrimSpace(*ch.Name)
		if n := len([]rune(name)); n < 1 || n > 200 {
			v.Add("name", "validation.required", nil)
		} else if name != u.Name {
			upd["name"] = name
		}
	}
	if ch.Role != nil && *ch.Role != u.Role {
		if !ch.Role.Valid() {
			v.Add("role", "validation.oneof", nil)
		} else {
			upd["role"] = string(*ch.Role)
		}
	}
	if ch.SiteCode != nil && *ch.SiteCode != u.Site.Code {
		site, err := s.SiteByCode(*ch.SiteCode)
		switch {
		case errors.Is(err, ErrNotFound):
			v.Add("site", "validation.site_unknown", nil)
		case err != nil:
			return nil, err
		case !site.Active:
			v.Add("site", "validation.site_inactive", nil)
		default:
			upd["site_id"] = site.ID
		}
	}
	if ch.Language != nil && *ch.Language != u.Language {
		if !ValidLanguage(*ch.Language) {
			v.Add("language", "validation.oneof", nil)
		} else {
			upd["language"] = *ch.Language
		}
	}
	if ch.Active != nil && *ch.Active != u.Active {
		upd["active"] = *ch.Active
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if ch.Version != u.Version {
		return nil, fmt.Errorf("models: user %s: %w", id, ErrConflict)
	}
	if len(upd) == 0 {
		out.User = u
		return out, nil
	}
	_, deactivates := upd["active"]
	deactivates = deactivates && !*ch.Active
	_, roleChange := upd["role"]
	_, siteChange := upd["site_id"]
	if deactivates || roleChange || siteChange {
		n, err := s.OpenAssignmentsOf(u.ID)
		if err != nil {
			return nil, err
		}
		if n > 0 && !ch.EndAssignments {
			return nil, &OpenAssignmentsError{Count: n}
		}
		if n > 0 {
			if err := s.db.Raw("SELECT org.end_assignments_of(?)", u.ID).Scan(&out.AssignmentsEnded).Error; err != nil {
				return nil, fmt.Errorf("models: end assignments: %w", err)
			}
		}
	}
	for k := range upd {
		out.Changed = append(out.Changed, strings.TrimSuffix(k, "_id"))
	}
	upd["updated_at"] = time.Now()
	upd["version"] = gormExpr("version + 1")
	if err := s.updateVersioned(&User{}, u.ID, ch.Version, u.Version, upd); err != nil {
		if rule := adminRule(err); rule != nil {
			return nil, rule
		}
		return nil, fmt.Errorf("models: update user %s: %w", id, err)
	}
	if out.User, err = s.UserForAdmin(u.ID); err != nil {
		return nil, err
	}
	return out, nil
}

// adminRule turns the refusals of migration 00020's triggers into the
// form's messages.
func adminRule(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return nil
	}
	v := &ValidationError{}
	switch pgErr.ConstraintName {
	case "last_admin":
		v.Add("active", "validation.last_admin", nil)
	case "admin_not_self":
		v.Add("active", "validation.admin_self", nil)
	case "user_assignments_open":
		return &OpenAssignmentsError{}
	case "site_active":
		v.Add("site", "validation.site_inactive", nil)
	default:
		return nil
	}
	return v
}

// IssuePasswordLink makes a new set-password link for the user, valid
// for PasswordLinkTTL, and withdraws earlier unused ones. It returns the
// token, which is shown once and stored only as its SHA-256.
func (s *Store) IssuePasswordLink(userID, createdBy string, now time.Time) (string, time.Time, error) {
	if err := s.db.Exec("UPDATE auth.password_links SET used_at = ? WHERE user_id = ? AND used_at IS NULL", now, userID).Error; err != nil {
		return "", time.Time{}, fmt.Errorf("models: withdraw password links: %w", err)
	}
	plain := randomToken(32)
	expires := now.Add(PasswordLinkTTL)
	err := s.db.Exec(`INSERT INTO auth.password_links (user_id, token_hash, created_by, created_at, expires_at)
		VALUES (?, ?, nullif(?, '')::uuid, ?, ?)`, userID, sha256Bytes(plain), createdBy, now, expires).Error
	if err != nil {
		return "", time.Time{}, fmt.Errorf("models: password link: %w", err)
	}
	return plain, expires, nil
}

// PasswordLinkUser returns the active user a live (unused, unexpired)
// set-password link belongs to.
func (s *Store) PasswordLinkUser(plain string, now time.Time) (*User, error) {
	var ids []string
	if len(plain) > 100 {
		return nil, fmt.Errorf("models: password link: %w", ErrNotFound)
	}
	err := s.db.Raw(`SELECT user_id FROM auth.password_links
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, sha256Bytes(plain), now).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: password link: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("models: password link: %w", ErrNotFound)
	}
	return s.UserByID(ids[0])
}

// SetPasswordByLink spends a live set-password link: the password must
// pass CheckNewPassword for its user and match repeat. A link works once,
// also when two submissions race (the update of its used_at decides).
func (s *Store) SetPasswordByLink(plain, password, repeat string, now time.Time) (*User, error) {
	u, err := s.PasswordLinkUser(plain, now)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	CheckNewPassword(v, "password", password, u.Email, u.Name)
	if len(v.Fields) == 0 && password != repeat {
		v.Add("password_repeat", "validation.password_mismatch", nil)
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	res := s.db.Exec(`UPDATE auth.password_links SET used_at = ?
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, now, sha256Bytes(plain), now)
	if res.Error != nil {
		return nil, fmt.Errorf("models: spend password link: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return nil, fmt.Errorf("models: password link: %w", ErrNotFound)
	}
	if err := s.setPassword(u, password); err != nil {
		return nil, err
	}
	// A new password signs the account out everywhere (a link is also how
	// a user who lost theirs gets back in).
	if err := s.DeleteOtherSessions(u.ID, ""); err != nil {
		return nil, err
	}
	return u, nil
}

// ResetTOTP removes the user's second factor and ends their sessions: the
// next sign-in enrols a new one (required for admin and dpo).
func (s *Store) ResetTOTP(userID string) error {
	err := s.db.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"totp_secret": nil, "totp_enabled_at": nil,
		"totp_last_step": 0, "updated_at": time.Now(), "version": gormExpr("version + 1")}).Error
	if err != nil {
		return fmt.Errorf("models: reset second factor of %s: %w", userID, err)
	}
	if err := s.db.Exec("SELECT auth.end_sessions_of(?)", userID).Error; err != nil {
		return fmt.Errorf("models: end sessions of %s: %w", userID, err)
	}
	return nil
}

// SiteChange is what the admin changes of a site; nil fields stay.
type SiteChange struct {
	Name              *string
	Active            *bool
	ControllerName    *string
	ControllerAddress *string
	PrivacyContact    *string
	Version           int
}

// UpdateSite applies ch to the site with code. Errors: ValidationError,
// ErrConflict for a stale version, ErrNotFound.
func (s *Store) UpdateSite(code string, ch SiteChange) (*Site, error) {
	site, err := s.SiteByCode(code)
	if err != nil {
		return nil, err
	}
	next := *site
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&next.Name, ch.Name)
	set(&next.ControllerName, ch.ControllerName)
	set(&next.ControllerAddress, ch.ControllerAddress)
	set(&next.PrivacyContact, ch.PrivacyContact)
	if ch.Active != nil {
		next.Active = *ch.Active
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	upd := map[string]any{"name": next.Name, "active": next.Active, "controller_name": next.ControllerName,
		"controller_address": next.ControllerAddress, "privacy_contact": next.PrivacyContact,
		"updated_at": time.Now(), "version": gormExpr("version + 1")}
	if err := s.updateVersioned(&Site{}, site.ID, ch.Version, site.Version, upd); err != nil {
		return nil, fmt.Errorf("models: update site %s: %w", code, err)
	}
	return s.SiteByCode(code)
}

// IsSiteInactive reports the refusal of a new case or referral at a
// deactivated site (migration 00020's trigger).
func IsSiteInactive(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.ConstraintName == "site_active"
}
