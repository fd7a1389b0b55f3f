package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Groups for sessions (issue 15): social-skills training runs in fixed
// groups, so coordinators and social workers keep named groups of children
// of their site (migration 00025). Row security decides everything: a
// group is visible to the staff of its site, a member only with its child,
// so a social worker sees of a shared group only their own cases.

// MaxGroupName is the longest group name, in characters.
const MaxGroupName = 80

// Group is a named group of children at the actor's site. Members counts
// the members visible to the actor, Active those of them in the program.
type Group struct {
	ID         string
	SiteID     string
	Name       string
	OwnerID    string
	OwnerName  string
	CreatedAt  time.Time
	ArchivedAt *time.Time
	Members    int
	Active     int
}

// Archived reports whether the group is archived.
func (g *Group) Archived() bool { return g.ArchivedAt != nil }

// ValidateGroupName applies the rule for group names: 1 to MaxGroupName
// characters after trimming.
func ValidateGroupName(name string) error {
	v := &ValidationError{}
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0:
		v.Add("name", "validation.required", nil)
	case n > MaxGroupName:
		v.Add("name", "validation.max", map[string]any{"Param": MaxGroupName})
	}
	return v.OrNil()
}

// groupQuery reads groups with their owner's name and the counts of
// their visible members (all, and those in the program), counted in one
// pass per group.
const groupQuery = `SELECT g.id, g.site_id, g.name, g.owner_id, u.name AS owner_name, g.created_at, g.archived_at, c.members, c.active
	FROM prevention.groups g LEFT JOIN org.users u ON u.id = g.owner_id
	CROSS JOIN LATERAL (SELECT count(*) AS members, count(*) FILTER (WHERE p.status = 'active') AS active
		FROM prevention.group_members m JOIN prevention.participants p ON p.id = m.participant_id WHERE m.group_id = g.id) c`

// groups reads groups with their owner and visible member counts: one
// statement however many groups and members.
func (s *Store) groups(where string, args ...any) ([]Group, error) {
	var out []Group
	err := s.db.Raw(groupQuery+` WHERE `+where+` ORDER BY g.owner_id = org.current_user_id() DESC, lower(g.name), g.id`, args...).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: groups: %w", err)
	}
	return out, nil
}

// Groups lists the current (not archived) groups visible to the actor:
// their own first, then by name, each with its visible member counts.
func (s *Store) Groups() ([]Group, error) {
	return s.groups("g.archived_at IS NULL")
}

// GroupByID returns a visible group, archived or not.
func (s *Store) GroupByID(id string) (*Group, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: group %s: %w", id, ErrNotFound)
	}
	gs, err := s.groups("g.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, fmt.Errorf("models: group %s: %w", id, ErrNotFound)
	}
	return &gs[0], nil
}

// nameTaken adds a validation error when another current group of the
// site has name (case-insensitive).
func (s *Store) nameTaken(v *ValidationError, name, except string) error {
	var n int64
	if err := s.db.Raw(`SELECT count(*) FROM prevention.groups WHERE site_id = ? AND archived_at IS NULL AND lower(name) = lower(?) AND id <> ?`,
		s.actor.SiteID, name, except).Scan(&n).Error; err != nil {
		return fmt.Errorf("models: group name: %w", err)
	}
	if n > 0 {
		v.Add("name", "validation.group_name_taken", nil)
	}
	return nil
}

// CreateGroup creates a group at the actor's site, owned by the actor. A
// name another current group of the site has is refused.
func (s *Store) CreateGroup(name string) (*Group, error) {
	name = strings.TrimSpace(name)
	if err := ValidateGroupName(name); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	// ON CONFLICT: the same name typed at the same moment by a colleague
	// is refused like any taken name, not as a failed transaction.
	res := s.db.Exec(`INSERT INTO prevention.groups (id, site_id, name, owner_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (site_id, lower(name)) WHERE archived_at IS NULL DO NOTHING`, id, s.actor.SiteID, name, s.actor.UserID)
	if res.Error != nil {
		return nil, fmt.Errorf("models: create group: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		v := &ValidationError{}
		v.Add("name", "validation.group_name_taken", nil)
		return nil, v
	}
	return s.GroupByID(id)
}

// RenameGroup renames a current group (its owner or the coordinator).
func (s *Store) RenameGroup(id, name string) (*Group, error) {
	g, err := s.currentGroup(id)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if err := ValidateGroupName(name); err != nil {
		return nil, err
	}
	v := &ValidationError{}
	if err := s.nameTaken(v, name, g.ID); err != nil {
		return nil, err
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if err := s.updateGroup(g.ID, map[string]any{"name": name}); err != nil {
		return nil, err
	}
	return s.GroupByID(g.ID)
}

// ArchiveGroup takes a group out of use (its owner or the coordinator);
// its name is free again. Archiving twice changes nothing.
func (s *Store) ArchiveGroup(id string) error {
	g, err := s.GroupByID(id)
	if err != nil || g.Archived() {
		return err
	}
	return s.updateGroup(g.ID, map[string]any{"archived_at": time.Now()})
}

// updateGroup changes a group the actor may change: the owner or the
// site's coordinator (row security); anyone else gets ErrForbidden.
func (s *Store) updateGroup(id string, set map[string]any) error {
	res := s.db.Table("prevention.groups").Where("id = ?", id).Updates(set)
	if res.Error != nil {
		if isUniqueViolation(res.Error) {
			return fmt.Errorf("models: group %s: %w", id, ErrConflict)
		}
		return fmt.Errorf("models: group %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: group %s: %w", id, ErrForbidden)
	}
	return nil
}

// currentGroup returns a visible group that is not archived; an archived
// one takes no changes.
func (s *Store) currentGroup(id string) (*Group, error) {
	g, err := s.GroupByID(id)
	if err != nil {
		return nil, err
	}
	if g.Archived() {
		return nil, fmt.Errorf("models: group %s is archived: %w", id, ErrConflict)
	}
	return g, nil
}

// GroupMembers lists the members of a visible group that the actor may
// see, by case number, decrypting their names only.
func (s *Store) GroupMembers(groupID string) ([]ChildName, error) {
	if _, err := uuid.Parse(groupID); err != nil {
		return nil, fmt.Errorf("models: group %s: %w", groupID, ErrNotFound)
	}
	return s.childNames(`p.id IN (SELECT m.participant_id FROM prevention.group_members m WHERE m.group_id = ?)`, 0, groupID)
}

// AddGroupMembers adds children to a current group, in one statement:
// those the actor may see and that belong to the group's site (others are
// passed over, as are members already in it). It returns how many joined.
func (s *Store) AddGroupMembers(groupID string, participantIDs []string) (int, error) {
	g, err := s.currentGroup(groupID)
	if err != nil {
		return 0, err
	}
	ids := validIDs(participantIDs)
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.db.Exec(`INSERT INTO prevention.group_members (group_id, participant_id, added_by)
		SELECT ?, p.id, ? FROM prevention.participants p WHERE p.id IN ? AND p.site_id = ?
		ON CONFLICT DO NOTHING`, g.ID, nilIfEmpty(s.actor.UserID), ids, g.SiteID)
	if res.Error != nil {
		return 0, fmt.Errorf("models: group %s members: %w", g.ID, res.Error)
	}
	return int(res.RowsAffected), nil
}

// RemoveGroupMember takes a visible child out of a current group.
func (s *Store) RemoveGroupMember(groupID, participantID string) error {
	g, err := s.currentGroup(groupID)
	if err != nil {
		return err
	}
	if _, err := uuid.Parse(participantID); err != nil {
		return fmt.Errorf("models: group member %s: %w", participantID, ErrNotFound)
	}
	res := s.db.Exec("DELETE FROM prevention.group_members WHERE group_id = ? AND participant_id = ?", g.ID, participantID)
	if res.Error != nil {
		return fmt.Errorf("models: group %s member: %w", g.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: group member %s: %w", participantID, ErrNotFound)
	}
	return nil
}

// validIDs keeps the well-formed ids of list, once each: a garbled id from
// a form is no child, and never reaches SQL as one.
func validIDs(list []string) []string {
	var out []string
	for _, id := range uniqueStrings(list) {
		if _, err := uuid.Parse(id); err == nil {
			out = append(out, id)
		}
	}
	return out
}
