package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// dpoWorld is a world with the data-protection officer and two cases.
func dpoWorld(t *testing.T) (*world, *models.Participant, *models.Participant) {
	t.Helper()
	w := newWorld(t)
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		var email string
		if err := w.db.Gorm.Raw("SELECT email FROM org.users WHERE role = 'dpo' ORDER BY email LIMIT 1").Scan(&email).Error; err != nil {
			return err
		}
		u, err := st.UserByEmail(email)
		w.users["dpo"] = u
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p := w.newParticipant("coord", "Eigenname", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	p2 := w.newParticipant("coord", "Zweitname", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	return w, p, p2
}

func dpoActor(w *world) models.Actor {
	u := w.users["dpo"]
	return models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role}
}

// TestWallDPO: the dpo's database role reads the audit log and resolves
// case numbers through audit.case_numbers() alone: every table and view
// of prevention, enforcement and statistics is refused, and so is every
// crossing. Nobody else may call the function, and it answers only a dpo,
// only for the participants asked for (make mutate-wall takes each of
// those filters out).
func TestWallDPO(t *testing.T) {
	w, p, p2 := dpoWorld(t)
	dpo := dpoActor(w)
	if models.RoleDPO.DBRole() != models.DBDPO {
		t.Fatalf("dpo runs as %s", models.RoleDPO.DBRole())
	}
	if err := asRole(w.db.Gorm, models.DBDPO, dpo, "SELECT id, at, actor_id, action, object_id, details FROM audit.events"); err != nil {
		t.Errorf("dpo cannot read the audit log: %v", err)
	}
	for _, rel := range relations(t, w.db.Gorm) {
		switch rel.schema {
		case "prevention", "enforcement", "statistics", "stats_base":
			if err := asRole(w.db.Gorm, models.DBDPO, dpo, "SELECT 1 FROM "+rel.String()+" LIMIT 1"); !models.IsPermissionDenied(err) {
				t.Errorf("dpo reads %s: %v", rel, err)
			}
		}
	}
	for _, sql := range []string{
		"SELECT * FROM crossing.intake_queue()", "SELECT * FROM crossing.referral_feedback()",
		"SELECT * FROM statistics.outcomes('{site}', NULL, NULL, NULL, 5, false)",
		"SELECT * FROM prevention.my_participants()", "SELECT email FROM org.users", "SELECT totp_secret FROM org.users",
		"SELECT * FROM org.mediator_languages",
	} {
		if err := asRole(w.db.Gorm, models.DBDPO, dpo, sql); !models.IsPermissionDenied(err) {
			t.Errorf("dpo may run %s: %v", sql, err)
		}
	}

	byID := "SELECT count(*) FROM audit.case_numbers(?::uuid[], NULL) WHERE case_number = ?"
	byNumber := "SELECT count(*) FROM audit.case_numbers(NULL, ?::text[]) WHERE participant_id = ?"
	expect := func(what string, role models.DBRole, actor models.Actor, want int, sql string, args ...any) {
		t.Helper()
		n, err := countAs(w, role, actor, sql, args...)
		switch {
		case want < 0 && !models.IsPermissionDenied(err):
			t.Errorf("%s: %s may call it: %d, %v", what, role, n, err)
		case want >= 0 && (err != nil || n != want):
			t.Errorf("%s: %s got %d, %v; want %d", what, role, n, err, want)
		}
	}
	expect("id to case number", models.DBDPO, dpo, 1, byID, "{"+p.ID+"}", p.CaseNumber)
	expect("case number to id", models.DBDPO, dpo, 1, byNumber, "{"+p2.CaseNumber+"}", p2.ID)
	// Only what was asked for: one of two cases.
	expect("one case of two", models.DBDPO, dpo, 1, "SELECT count(*) FROM audit.case_numbers(?::uuid[], NULL)", "{"+p.ID+"}")
	expect("one number of two", models.DBDPO, dpo, 1, "SELECT count(*) FROM audit.case_numbers(NULL, ?::text[])", "{"+p2.CaseNumber+"}")
	expect("nothing asked", models.DBDPO, dpo, 0, "SELECT count(*) FROM audit.case_numbers(NULL, NULL)")
	// The role alone is not enough: the request must be a dpo's.
	for _, name := range []string{"coord", "sw"} {
		u := w.users[name]
		other := models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role}
		expect("as "+name+" in the dpo's role", models.DBDPO, other, 0, byID, "{"+p.ID+"}", p.CaseNumber)
	}
	expect("without a user", models.DBDPO, models.Actor{}, 0, byID, "{"+p.ID+"}", p.CaseNumber)
	for _, role := range models.DBRoles {
		if role != models.DBDPO {
			expect("other role", role, dpo, -1, byID, "{"+p.ID+"}", p.CaseNumber)
		}
	}
}

// auditAt appends an entry as the owner at a given time.
func auditAt(t *testing.T, w *world, at time.Time, actor, action, objectType, objectID string, details string) {
	t.Helper()
	u := w.users[actor]
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO audit.events (at, actor_id, actor_role, action, object_type, object_id, site_id, details)
		VALUES (?, ?, ?, ?, nullif(?, ''), nullif(?, ''), ?, ?::jsonb)`, at, u.ID, string(u.Role), action, objectType, objectID, u.SiteID, details)
}

func searchAs(w *world, f models.AuditFilter) (*models.AuditPage, error) {
	var page *models.AuditPage
	err := w.as("dpo", func(st *models.Store) (err error) {
		page, err = st.SearchAudit(f)
		return err
	})
	return page, err
}

// TestSearchAudit: the dpo's search filters by participant (id or case
// number), acting user, action and time, newest first; pages by (at, id)
// hold every entry once, also when many share one time and when entries
// arrive between pages; entries carry ids, codes and case numbers, never
// a name or a note.
func TestSearchAudit(t *testing.T) {
	w, p, p2 := dpoWorld(t)
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 123456000, time.UTC)
	for range 7 {
		auditAt(t, w, t0, "sw", models.AuditParticipantRead, "participant", p.ID, "{}")
	}
	for i := range 3 {
		auditAt(t, w, t0.Add(-time.Duration(i+1)*time.Hour), "coord", models.AuditParticipantUpdate, "participant", p2.ID, `{"to": "active"}`)
	}
	for i := range 2 {
		auditAt(t, w, t0.AddDate(0, 0, -2).Add(time.Duration(i)*time.Minute), "dpo", models.AuditLogin, "", "", "{}")
	}
	count := func(f models.AuditFilter) int {
		t.Helper()
		page, err := searchAs(w, f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		return len(page.Entries)
	}
	all, err := searchAs(w, models.AuditFilter{Limit: models.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Entries) != 12 || all.Next != nil {
		t.Fatalf("all: %d entries, next %v", len(all.Entries), all.Next)
	}
	for i := 1; i < len(all.Entries); i++ {
		a, b := all.Entries[i-1], all.Entries[i]
		if a.At.Before(b.At) || a.At.Equal(b.At) && a.ID < b.ID {
			t.Fatalf("not newest first at %d: %v/%d then %v/%d", i, a.At, a.ID, b.At, b.ID)
		}
	}
	for _, e := range all.Entries {
		switch e.ObjectID {
		case p.ID:
			if e.CaseNumber != p.CaseNumber {
				t.Errorf("entry %d: case number %q, want %q", e.ID, e.CaseNumber, p.CaseNumber)
			}
		case p2.ID:
			if e.CaseNumber != p2.CaseNumber || e.Details["to"] != "active" {
				t.Errorf("entry %d: case number %q, details %v", e.ID, e.CaseNumber, e.Details)
			}
		}
		if e.ActorName == "" || e.SiteCode != "ES" || e.ActorID == nil {
			t.Errorf("entry %d: actor %q at %q", e.ID, e.ActorName, e.SiteCode)
		}
	}
	// Never content: no name, birth date, address or note of the child.
	raw, _ := json.Marshal(all)
	for _, secret := range []string{"Eigenname", "Zweitname", "Testfall", "Notiz", "Teststraße", "2014-01-01"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("search result carries %q", secret)
		}
	}

	if n := count(models.AuditFilter{ParticipantID: p.ID}); n != 7 {
		t.Errorf("by participant id: %d", n)
	}
	byNumber, err := searchAs(w, models.AuditFilter{CaseNumber: p2.CaseNumber})
	if err != nil || len(byNumber.Entries) != 3 || byNumber.ParticipantID != p2.ID {
		t.Errorf("by case number: %+v %v", byNumber, err)
	}
	if n := count(models.AuditFilter{ActorID: w.users["coord"].ID}); n != 3 {
		t.Errorf("by actor: %d", n)
	}
	if n := count(models.AuditFilter{Action: models.AuditLogin}); n != 2 {
		t.Errorf("by action: %d", n)
	}
	if n := count(models.AuditFilter{From: t0.AddDate(0, 0, -3), To: t0.AddDate(0, 0, -1)}); n != 2 {
		t.Errorf("by time: %d", n)
	}
	// From inclusive, To exclusive.
	if n := count(models.AuditFilter{From: t0, To: t0.Add(time.Microsecond)}); n != 7 {
		t.Errorf("from t0 to just after: %d", n)
	}
	if n := count(models.AuditFilter{To: t0}); n != 5 {
		t.Errorf("before t0: %d", n)
	}
	if n := count(models.AuditFilter{ParticipantID: p.ID, ActorID: w.users["coord"].ID}); n != 0 {
		t.Errorf("participant and another actor: %d", n)
	}

	// Pages of 3 over 12 entries, 7 of them at the same time: each entry
	// once, in the order of the whole list, with a new entry arriving
	// between the pages (it belongs before the first page).
	var paged []int64
	f := models.AuditFilter{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, err := searchAs(w, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			paged = append(paged, e.ID)
		}
		if pages == 0 {
			auditAt(t, w, t0.Add(time.Hour), "sw", models.AuditParticipantRead, "participant", p.ID, "{}")
		}
		if page.Next == nil {
			break
		}
		cur, err := models.ParseAuditCursor(page.Next.String())
		if err != nil || !cur.At.Equal(page.Next.At) || cur.ID != page.Next.ID {
			t.Fatalf("cursor round trip: %v %v", cur, err)
		}
		f.After = cur
	}
	var want []int64
	for _, e := range all.Entries {
		want = append(want, e.ID)
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %v, want %v", paged, want)
	}

	// A case number that names nobody, and filters that are no filters.
	var ve *models.ValidationError
	if _, err := searchAs(w, models.AuditFilter{CaseNumber: "ES-1999-9999"}); !errors.As(err, &ve) || ve.Fields[0].Field != "case_number" {
		t.Errorf("unknown case number: %v", err)
	}
	for _, bad := range []models.AuditFilter{
		{ParticipantID: "1 OR 1=1"}, {ActorID: "nobody"}, {Action: "DROP TABLE"}, {CaseNumber: "Eigenname"},
		{ParticipantID: p.ID, CaseNumber: p.CaseNumber}, {From: t0, To: t0}, {Limit: models.MaxAuditLimit + 1}, {Limit: -1},
	} {
		if _, err := searchAs(w, bad); !errors.As(err, &ve) {
			t.Errorf("%+v: %v, want a validation error", bad, err)
		}
	}
	for _, bad := range []string{"", "x", "MTIz", "bm9wZS5ub3Bl", "LTEuMQ"} {
		if _, err := models.ParseAuditCursor(bad); !errors.Is(err, models.ErrBadCursor) {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

// TestSearchAuditUsesIndexes: with some thousands of entries, every
// filter is answered from an index in (at, id) order: no sort, no
// sequential scan of the log.
func TestSearchAuditUsesIndexes(t *testing.T) {
	w, p, _ := dpoWorld(t)
	sw := w.users["sw"]
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO audit.events (at, actor_id, actor_role, action, object_type, object_id, site_id)
		SELECT now() - n * interval '1 minute', CASE WHEN n % 50 = 0 THEN ?::uuid ELSE gen_random_uuid() END, 'social_worker',
			(ARRAY['participant.read','participant.update','auth.login','session.read'])[n % 4 + 1], 'participant',
			CASE WHEN n % 100 = 0 THEN ? ELSE gen_random_uuid()::text END, ?
		FROM generate_series(1, 20000) n`, sw.ID, p.ID, sw.SiteID)
	dbtest.Exec(t, w.db.Gorm, "ANALYZE audit.events")
	at := time.Now()
	for _, c := range []struct {
		f models.AuditFilter
		// A short time range is read from the index as a range and
		// sorted (a few rows); a long one comes in order.
		sortOK bool
	}{
		{f: models.AuditFilter{}},
		{f: models.AuditFilter{ParticipantID: p.ID}},
		{f: models.AuditFilter{ActorID: sw.ID}},
		{f: models.AuditFilter{Action: models.AuditLogin}},
		{f: models.AuditFilter{From: at.Add(-24 * time.Hour), To: at.Add(-23 * time.Hour)}, sortOK: true},
		{f: models.AuditFilter{From: at.AddDate(-1, 0, 0), To: at}},
		{f: models.AuditFilter{ParticipantID: p.ID, After: &models.AuditCursor{At: at.Add(-time.Hour), ID: 1 << 40}}},
		// Two filters: the planner may read one's index and sort the few
		// rows that pass the other.
		{f: models.AuditFilter{ActorID: sw.ID, Action: models.AuditLogin, After: &models.AuditCursor{At: at.Add(-time.Hour), ID: 1 << 40}}, sortOK: true},
	} {
		f := c.f
		var plan string
		err := w.as("dpo", func(st *models.Store) (err error) {
			plan, err = models.AuditSearchPlanForTest(st, f)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !c.sortOK && strings.Contains(plan, `Sort"`) || seqScanOn(plan, "events") {
			t.Errorf("%+v: the search sorts or scans the log:\n%s", f, plan)
		}
	}
}

// seqScanOn reports whether the JSON plan scans rel sequentially.
func seqScanOn(plan, rel string) bool {
	var nodes []map[string]any
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
		panic(fmt.Sprintf("plan: %v", err))
	}
	var walk func(n map[string]any) bool
	walk = func(n map[string]any) bool {
		if n["Node Type"] == "Seq Scan" && n["Relation Name"] == rel {
			return true
		}
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok && walk(m) {
				return true
			}
		}
		return false
	}
	for _, n := range nodes {
		if p, ok := n["Plan"].(map[string]any); ok && walk(p) {
			return true
		}
	}
	return false
}
