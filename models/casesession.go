package models

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Attendance of one participant at a session (SPEC §3).
type Attendance string

// The attendance values.
const (
	Attended Attendance = "attended"
	Excused  Attendance = "excused"
	Absent   Attendance = "absent"
)

// Attendances lists the attendance values.
var Attendances = []Attendance{Attended, Excused, Absent}

// Session statuses: a session is planned, held (with attendance) or
// cancelled (for example when consent was withdrawn).
const (
	SessionPlanned   = "planned"
	SessionHeld      = "held"
	SessionCancelled = "cancelled"
)

// SessionParticipant is one participant of a session, as far as the
// viewer may see them.
type SessionParticipant struct {
	ParticipantID string
	CaseNumber    string
	Attendance    Attendance
}

// CaseSession is a social-skills session (SPEC §3), decrypted for the
// viewer; "Session" alone is the web session of session.go.
type CaseSession struct {
	ID              string
	SiteID          string
	MeasureCode     string
	Measure         Labels
	ModuleCode      string
	Module          Labels
	Status          string
	StartedAt       time.Time
	DurationMinutes int
	Location        string
	MediatorPresent bool
	Notes           string
	StaffIDs        []string
	Participants    []SessionParticipant
	CreatedBy       string
	Version         int
}

type sessionRow struct {
	ID              string
	SiteID          string
	MeasureID       string
	ModuleID        *string
	Status          string
	StartedAt       time.Time
	DurationMinutes int
	LocationEnc     *string
	MediatorPresent bool
	NotesEnc        *string
	CreatedBy       *string
	Version         int
	UpdatedAt       time.Time
}

func (sessionRow) TableName() string { return "prevention.sessions" }

const sessionsTable = "prevention.sessions"

// SessionInput records a session: held (with attendance for every
// participant) or planned (without).
type SessionInput struct {
	ParticipantIDs  []string
	MeasureCode     string
	ModuleCode      string
	StartedAt       time.Time
	DurationMinutes int
	Location        string
	StaffIDs        []string
	MediatorPresent bool
	Attendance      map[string]Attendance
	Notes           string
	Planned         bool
}

// oneSessionPerStart refuses a session when one of its children already
// has a (not cancelled) session starting at the same minute: a child is in
// one session at a time, and the form sent again after Back is not a
// second session. A transaction-scoped advisory lock per child (taken in a
// fixed order) makes the check and the insert one step across requests.
func (s *Store) oneSessionPerStart(participantIDs []string, start time.Time) error {
	ids := slices.Clone(participantIDs)
	slices.Sort(ids)
	for _, pid := range ids {
		if err := s.db.Exec("SELECT pg_advisory_xact_lock(hashtextextended('session-start:' || ?, 0))", pid).Error; err != nil {
			return fmt.Errorf("models: session lock: %w", err)
		}
	}
	var dup []struct {
		CaseNumber string
		StartedAt  time.Time
	}
	err := s.db.Raw(`SELECT p.case_number, se.started_at FROM prevention.session_participants sp
		JOIN prevention.sessions se ON se.id = sp.session_id JOIN prevention.participants p ON p.id = sp.participant_id
		WHERE sp.participant_id = ANY (?::uuid[]) AND se.status <> 'cancelled' AND date_trunc('minute', se.started_at) = date_trunc('minute', ?::timestamptz)
		ORDER BY p.case_number`, idArray(ids), start).Scan(&dup).Error
	if err != nil {
		return fmt.Errorf("models: session duplicates: %w", err)
	}
	if len(dup) == 0 {
		return nil
	}
	v := &ValidationError{}
	for _, d := range dup {
		// An instant, written in the reader's language at render time.
		v.Add("started_at", "validation.session_duplicate", map[string]any{"CaseNumber": d.CaseNumber, "Time": d.StartedAt})
	}
	return v
}

// CreateSession records a session for participants the actor may see.
// Every participant must be active with valid participation consent on
// the session's day (SPEC §4); otherwise the whole session is refused.
func (s *Store) CreateSession(in SessionInput, today time.Time) (*CaseSession, error) {
	v := &ValidationError{}
	ids := uniqueStrings(in.ParticipantIDs)
	if len(ids) == 0 {
		v.Add("participant_ids", "validation.required", nil)
	}
	m, err := s.MeasureByCode(in.MeasureCode)
	var moduleID *string
	switch {
	case err != nil:
		v.Add("type", "validation.measure_unknown", nil)
	case in.ModuleCode != "":
		if mod := m.Module(in.ModuleCode); mod == nil {
			v.Add("module", "validation.module_unknown", nil)
		} else {
			moduleID = &mod.ID
		}
	}
	if in.DurationMinutes < 5 || in.DurationMinutes > 600 {
		v.Add("duration_minutes", "validation.duration", map[string]any{"Min": 5, "Max": 600})
	}
	if in.StartedAt.IsZero() {
		v.Add("started_at", "validation.required", nil)
	} else if !in.Planned && dateOf(in.StartedAt).After(dateOf(today)) {
		v.Add("started_at", "validation.not_future", nil)
	} else {
		// Recorded up to two years late, planned up to a year ahead.
		v.DayWithin("started_at", ProgramDay(in.StartedAt), today.AddDate(-2, 0, 0), today.AddDate(1, 0, 0))
	}
	if len(in.Location) > 200 {
		v.Add("location", "validation.max", map[string]any{"Param": 200})
	}
	if len(in.Notes) > 20000 {
		v.Add("notes", "validation.max", map[string]any{"Param": 20000})
	}
	staff := uniqueStrings(in.StaffIDs)
	if len(staff) == 0 {
		staff = []string{s.actor.UserID}
	}
	for _, id := range staff {
		u, err := s.StaffByID(id)
		if err != nil || u.SiteID != s.actor.SiteID || (u.Role != RoleSocialWorker && u.Role != RoleCoordinator) {
			v.Add("staff_ids", "validation.staff_unknown", nil)
			break
		}
	}
	for _, pid := range ids {
		p, err := s.ParticipantByID(pid)
		if err != nil {
			v.Add("participant_ids", "validation.participant_unknown", nil)
			continue
		}
		if !in.Planned {
			att, ok := in.Attendance[pid]
			if !ok || !contains(Attendances, att) {
				v.Add("attendance", "validation.attendance", map[string]any{"CaseNumber": p.CaseNumber})
			}
		}
		if p.Status != StatusActive {
			v.Add("participant_ids", "validation.session_not_active", map[string]any{"CaseNumber": p.CaseNumber})
			continue
		}
		missing, err := s.MissingConsent(p, in.StartedAt)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			v.Add("participant_ids", "validation.session_no_consent", map[string]any{"CaseNumber": p.CaseNumber})
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if err := s.oneSessionPerStart(ids, in.StartedAt); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	w := &sealer{s: s, table: sessionsTable, id: id}
	status := SessionHeld
	if in.Planned {
		status = SessionPlanned
	}
	row := sessionRow{ID: id, SiteID: s.actor.SiteID, MeasureID: m.ID, ModuleID: moduleID, Status: status,
		StartedAt: in.StartedAt, DurationMinutes: in.DurationMinutes, LocationEnc: w.opt("location", in.Location),
		MediatorPresent: in.MediatorPresent, NotesEnc: w.opt("notes", in.Notes), CreatedBy: nilIfEmpty(s.actor.UserID),
		Version: 1, UpdatedAt: time.Now()}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.db.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("models: create session: %w", err)
	}
	for _, uid := range staff {
		// The staff row carries the session's start (a foreign key keeps
		// it equal), for the user's sessions of a week (migration 00035).
		if err := s.db.Exec("INSERT INTO prevention.session_staff (session_id, user_id, started_at) VALUES (?, ?, ?)", id, uid, in.StartedAt).Error; err != nil {
			return nil, fmt.Errorf("models: session staff: %w", err)
		}
	}
	for _, pid := range ids {
		var att *string
		if !in.Planned {
			a := string(in.Attendance[pid])
			att = &a
		}
		// So does the attendance row, for a child's sessions newest first
		// (migration 00036).
		if err := s.db.Exec("INSERT INTO prevention.session_participants (session_id, participant_id, attendance, started_at) VALUES (?, ?, ?, ?)",
			id, pid, att, in.StartedAt).Error; err != nil {
			return nil, fmt.Errorf("models: session attendance: %w", err)
		}
	}
	return s.SessionByID(id)
}

// SessionByID returns a visible session with its visible participants.
func (s *Store) SessionByID(id string) (*CaseSession, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: session %s: %w", id, ErrNotFound)
	}
	ss, err := s.sessions(sessionQuery{parts: SessionAll, where: "s.id = ?", args: []any{id}})
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("models: session %s: %w", id, ErrNotFound)
	}
	return &ss[0], nil
}

// SessionParts says what a list of sessions reads beyond each session's
// line (type, time, status, participants): every part a list does not
// show is a decryption per row or a statement under row security.
type SessionParts uint8

const (
	// SessionText is the location and the notes.
	SessionText SessionParts = 1 << iota
	// SessionStaff is who leads the session.
	SessionStaff
	// SessionAll is everything.
	SessionAll = SessionText | SessionStaff
)

// ofParticipant joins a child's attendance rows, which carry their
// session's start (migration 00036): with the start in the join, the
// planner walks the child's rows in the order of the page.
const ofParticipant = "JOIN prevention.session_participants ofp ON ofp.session_id = s.id AND ofp.started_at = s.started_at"

// SessionsOf lists the sessions of a participant, newest first, with
// everything.
func (s *Store) SessionsOf(participantID string) ([]CaseSession, error) {
	return s.SessionsPage(participantID, Page{}, SessionAll)
}

// SessionsPage lists one page of the sessions of a participant, newest
// first, with the given parts.
func (s *Store) SessionsPage(participantID string, pg Page, parts SessionParts) ([]CaseSession, error) {
	where, args, err := pg.seek("tu", "(s.started_at, s.id) < (?::timestamptz, ?::uuid)", "ofp.participant_id = ?", participantID)
	if err != nil {
		return nil, err
	}
	return s.sessions(sessionQuery{limit: pg.Limit, parts: parts, join: ofParticipant, where: where, args: args})
}

// NextSession is the participant's next planned session after at (nil
// when none is planned), with the given parts.
func (s *Store) NextSession(participantID string, at time.Time, parts SessionParts) (*CaseSession, error) {
	ss, err := s.sessions(sessionQuery{limit: 1, parts: parts, join: ofParticipant, ascending: true,
		where: "ofp.participant_id = ? AND s.status = ? AND s.started_at > ?", args: []any{participantID, SessionPlanned, at}})
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	return &ss[0], nil
}

// SessionsBetween lists the sessions from..to (exclusive) that the actor
// leads, as the start page shows them: with their participants, without
// location, notes and staff. (Coordinators saw every session of the site
// here: thousands a week at a large site, 1.4 MB of start page.)
func (s *Store) SessionsBetween(from, to time.Time) ([]CaseSession, error) {
	return s.sessions(sessionQuery{where: `s.started_at >= ? AND s.started_at < ? AND s.status <> 'cancelled'
		AND s.id IN (SELECT prevention.my_sessions_between(?, ?))`, args: []any{from, to, from, to}})
}

// LastMeasureCode is the type of the actor's most recent session, for the
// defaults of the quick form ("" when none).
func (s *Store) LastMeasureCode() (string, error) {
	var codes []string
	err := s.db.Raw(`SELECT m.code FROM prevention.sessions s JOIN prevention.measures m ON m.id = s.measure_id
		WHERE s.created_by = ? ORDER BY s.created_at DESC LIMIT 1`, s.actor.UserID).Scan(&codes).Error
	if err != nil {
		return "", fmt.Errorf("models: last session type: %w", err)
	}
	if len(codes) == 0 {
		return "", nil
	}
	return codes[0], nil
}

// sessionQuery is a read of sessions: those that match where (after
// join), newest first (oldest with ascending), at most limit of them (0:
// all), with parts.
type sessionQuery struct {
	limit       int
	parts       SessionParts
	join, where string
	args        []any
	ascending   bool
}

// sessions reads the sessions of q.
func (s *Store) sessions(sq sessionQuery) ([]CaseSession, error) {
	var rows []struct {
		CaseSession sessionRow `gorm:"embedded"`
		MCode       string
		MDe         string
		MEn         string
		MTr         string
		MAr         string
		ModCode     *string
		ModDe       *string
		ModEn       *string
		ModTr       *string
		ModAr       *string
	}
	q := s.db.Table("prevention.sessions s")
	if sq.limit > 0 {
		q = q.Limit(sq.limit)
	}
	if sq.join != "" {
		q = q.Joins(sq.join)
	}
	order := "s.started_at DESC, s.id DESC"
	if sq.ascending {
		order = "s.started_at, s.id"
	}
	encrypted := "s.location_enc, s.notes_enc"
	if sq.parts&SessionText == 0 {
		encrypted = "NULL::text AS location_enc, NULL::text AS notes_enc"
	}
	err := q.
		Select(`s.id, s.site_id, s.measure_id, s.module_id, s.status, s.started_at, s.duration_minutes, `+encrypted+`,
			s.mediator_present, s.created_by, s.version, s.updated_at,
			m.code AS m_code, m.name_de AS m_de, m.name_en AS m_en, m.name_tr AS m_tr, m.name_ar AS m_ar,
			mo.code AS mod_code, mo.name_de AS mod_de, mo.name_en AS mod_en, mo.name_tr AS mod_tr, mo.name_ar AS mod_ar`).
		Joins("JOIN prevention.measures m ON m.id = s.measure_id").
		Joins("LEFT JOIN prevention.measure_modules mo ON mo.id = s.module_id").
		Where(sq.where, sq.args...).Order(order).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: sessions: %w", err)
	}
	out := make([]CaseSession, 0, len(rows))
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		o := &opener{s: s, table: sessionsTable, id: r.CaseSession.ID}
		ss := CaseSession{ID: r.CaseSession.ID, SiteID: r.CaseSession.SiteID, MeasureCode: r.MCode, Measure: Labels{r.MDe, r.MEn, r.MTr, r.MAr},
			Status: r.CaseSession.Status, StartedAt: r.CaseSession.StartedAt, DurationMinutes: r.CaseSession.DurationMinutes,
			Location: o.str("location", r.CaseSession.LocationEnc), MediatorPresent: r.CaseSession.MediatorPresent,
			Notes: o.str("notes", r.CaseSession.NotesEnc), CreatedBy: deref(r.CaseSession.CreatedBy), Version: r.CaseSession.Version}
		if r.ModCode != nil {
			ss.ModuleCode, ss.Module = *r.ModCode, Labels{deref(r.ModDe), deref(r.ModEn), deref(r.ModTr), deref(r.ModAr)}
		}
		if o.err != nil {
			return nil, o.err
		}
		out = append(out, ss)
		ids = append(ids, ss.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var parts []struct {
		SessionID     string
		ParticipantID string
		CaseNumber    string
		Attendance    *string
	}
	err = s.db.Raw(`SELECT sp.session_id, sp.participant_id, p.case_number, sp.attendance
		FROM prevention.session_participants sp JOIN prevention.participants p ON p.id = sp.participant_id
		WHERE sp.session_id = ANY (?::uuid[]) ORDER BY p.case_number`, idArray(ids)).Scan(&parts).Error
	if err != nil {
		return nil, fmt.Errorf("models: session participants: %w", err)
	}
	index := map[string]*CaseSession{}
	for i := range out {
		index[out[i].ID] = &out[i]
	}
	for _, p := range parts {
		index[p.SessionID].Participants = append(index[p.SessionID].Participants,
			SessionParticipant{ParticipantID: p.ParticipantID, CaseNumber: p.CaseNumber, Attendance: Attendance(deref(p.Attendance))})
	}
	if sq.parts&SessionStaff == 0 {
		return out, nil
	}
	var staff []struct{ SessionID, UserID string }
	if err := s.db.Raw("SELECT session_id, user_id FROM prevention.session_staff WHERE session_id = ANY (?::uuid[]) ORDER BY user_id", idArray(ids)).Scan(&staff).Error; err != nil {
		return nil, fmt.Errorf("models: session staff: %w", err)
	}
	for _, st := range staff {
		index[st.SessionID].StaffIDs = append(index[st.SessionID].StaffIDs, st.UserID)
	}
	return out, nil
}

// SessionPatch changes a session: notes, status, attendance (for the
// participants the actor may see). Version must be current.
type SessionPatch struct {
	Notes      *string
	Status     *string
	Attendance map[string]Attendance
}

// UpdateSession applies a patch with optimistic locking.
func (s *Store) UpdateSession(id string, version int, in SessionPatch) (*CaseSession, error) {
	cur, err := s.SessionByID(id)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	if in.Status != nil && !contains([]string{SessionPlanned, SessionHeld, SessionCancelled}, *in.Status) {
		v.Add("status", "validation.oneof", nil)
	}
	visible := map[string]bool{}
	for _, p := range cur.Participants {
		visible[p.ParticipantID] = true
	}
	for pid, a := range in.Attendance {
		if !visible[pid] {
			v.Add("attendance", "validation.participant_unknown", nil)
		} else if !contains(Attendances, a) {
			v.Add("attendance", "validation.oneof", nil)
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	w := &sealer{s: s, table: sessionsTable, id: id}
	upd := map[string]any{"version": gormExpr("version + 1"), "updated_at": time.Now()}
	if in.Notes != nil {
		upd["notes_enc"] = w.opt("notes", *in.Notes)
	}
	if in.Status != nil {
		upd["status"] = *in.Status
	}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.updateVersioned(&sessionRow{}, id, version, cur.Version, upd); err != nil {
		return nil, fmt.Errorf("models: session %s: %w", id, err)
	}
	pids := make([]string, 0, len(in.Attendance))
	for pid := range in.Attendance {
		pids = append(pids, pid)
	}
	sort.Strings(pids)
	for _, pid := range pids {
		if err := s.db.Exec("UPDATE prevention.session_participants SET attendance = ? WHERE session_id = ? AND participant_id = ?",
			string(in.Attendance[pid]), id, pid).Error; err != nil {
			return nil, fmt.Errorf("models: attendance: %w", err)
		}
	}
	return s.SessionByID(id)
}

// cancelPlannedSessions takes a participant out of every planned session
// (SPEC §4, withdrawal); a planned session left without participants is
// cancelled (see migration 00006 for why this is a database function).
func (s *Store) cancelPlannedSessions(participantID string) error {
	var n int
	if err := s.db.Raw("SELECT prevention.withdraw_from_planned_sessions(?)", participantID).Scan(&n).Error; err != nil {
		return fmt.Errorf("models: cancel planned sessions: %w", err)
	}
	return nil
}

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
