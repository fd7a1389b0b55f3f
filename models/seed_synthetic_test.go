package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestSeedSynthetic seeds a small synthetic data set and holds it to the
// rules the app keeps: the status graph, consent before activity,
// casework only while active, sealed identity the Store can open.
func TestSeedSynthetic(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t)
	dbtest.Seed(t, tdb.Gorm) // the demo sites live next to the synthetic ones
	db := tdb.Gorm
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int64
		if err := db.Raw(sql, args...).Scan(&n).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return int(n)
	}
	// A synthetic site that exists already is reused.
	ge := models.Site{Code: "GE", Name: "Gelsenkirchen"}
	if err := models.InTx(ctx, db, models.DBAdmin, models.Actor{}, func(st *models.Store) error { return st.CreateSite(&ge) }); err != nil {
		t.Fatal(err)
	}
	foreignKeys := count("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
	cipher, _ := models.NewCipher(models.EphemeralDataKey())
	opt := models.SyntheticOptions{Participants: 300, Seed: 7, Today: today}
	rep, err := models.SeedSynthetic(ctx, db, cipher, opt)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name     string
		reported int
		table    string
		min, max int
	}{
		{"participants", rep.Participants, "prevention.participants", 300, 300},
		{"families", rep.Families, "prevention.families", 210, 270},
		{"sessions", rep.Sessions, "prevention.sessions", 300 * 12, 300 * 30},
		{"session entries", rep.SessionEntries, "prevention.session_participants", rep.Sessions, 300 * 36},
		{"visits", rep.Visits, "prevention.visits", 300 * 2, 300 * 4},
		{"referrals", rep.Referrals, "enforcement.referrals", 260, 330},
	} {
		if got := count("SELECT count(*) FROM " + c.table); got != c.reported || got < c.min || got > c.max {
			t.Errorf("%s: %d rows, %d reported, want %d..%d", c.name, got, c.reported, c.min, c.max)
		}
	}
	if rep.Sites != 8 || rep.Took <= 0 {
		t.Errorf("report %+v", rep)
	}
	if n := count("SELECT count(*) FROM org.sites WHERE code = 'GE' AND id = ?", ge.ID); n != 1 {
		t.Errorf("site GE not reused")
	}
	if n := count("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"); n != foreignKeys {
		t.Errorf("%d foreign keys after seeding, %d before", n, foreignKeys)
	}
	// Old cases are closed in every way, young ones open (each early
	// state alone is too rare at 300 to be sure of), and every group of
	// the attendance statistics occurs.
	for _, statuses := range []string{"active", "completed", "ended_early", "declined", "withdrawn", "referred,contacted,consent_pending"} {
		if n := count("SELECT count(*) FROM prevention.participants WHERE status = ANY (string_to_array(?, ','))", statuses); n == 0 {
			t.Errorf("no participant %s", statuses)
		}
	}
	bands := count(`SELECT count(DISTINCT CASE WHEN a >= 0.8 THEN 1 WHEN a >= 0.5 THEN 2 ELSE 3 END) FROM (
		SELECT avg((sp.attendance = 'attended')::int) AS a FROM prevention.session_participants sp
		JOIN prevention.sessions s ON s.id = sp.session_id WHERE s.status = 'held' GROUP BY sp.participant_id) x`)
	if bands != 3 {
		t.Errorf("%d attendance bands populated", bands)
	}
	if share := count(`SELECT 100 * count(DISTINCT family_id) FILTER (WHERE mode = 'interpreter') / count(DISTINCT family_id)
		FROM prevention.family_languages`); share < 20 || share > 40 {
		t.Errorf("%d %% of families need an interpreter", share)
	}

	checkStatusHistory(t, db)
	days := map[string]any{"today": today, "tomorrow": today.AddDate(0, 0, 1)}
	for name, sql := range map[string]string{
		"session entry outside the active period": `SELECT count(*) FROM prevention.session_participants sp
			JOIN prevention.sessions s ON s.id = sp.session_id JOIN prevention.participants p ON p.id = sp.participant_id
			WHERE p.activated_on IS NULL OR (s.started_at AT TIME ZONE 'UTC')::date < p.activated_on
			   OR (s.started_at AT TIME ZONE 'UTC')::date >= p.ended_on`,
		"planned session not after today": "SELECT count(*) FROM prevention.sessions WHERE (status = 'planned') <> (started_at >= @tomorrow)",
		"planned visit not after today":   "SELECT count(*) FROM prevention.visits WHERE (status = 'planned') <> (starts_at >= @tomorrow)",
		"review outside the active period": `SELECT count(*) FROM prevention.reviews r JOIN prevention.participants p ON p.id = r.participant_id
			WHERE r.held_on < p.activated_on OR r.held_on >= coalesce(p.ended_on, @today)`,
		"case without its social worker": `SELECT count(*) FROM prevention.participants p WHERE p.status <> 'referred'
			AND NOT (p.status = 'declined' AND p.activated_on IS NULL AND NOT EXISTS (SELECT 1 FROM prevention.status_changes s
			  WHERE s.participant_id = p.id AND s.to_status = 'contacted'))
			AND NOT EXISTS (SELECT 1 FROM prevention.assignments a WHERE a.participant_id = p.id AND a.kind = 'social_worker')`,
		"closing missing or extra": `SELECT count(*) FROM prevention.participants p
			WHERE (p.status IN ('completed', 'ended_early')) <> EXISTS (SELECT 1 FROM prevention.closings c WHERE c.participant_id = p.id)`,
		"police referral not on the participant's site": `SELECT count(*) FROM prevention.intake_decisions d
			JOIN enforcement.referrals r ON r.id = d.referral_id JOIN prevention.participants p ON p.id = d.participant_id
			WHERE r.site_id <> p.site_id OR r.gender <> p.gender OR r.created_at > p.created_at`,
	} {
		var args []any
		if strings.Contains(sql, "@") {
			args = append(args, days)
		}
		if n := count(sql, args...); n != 0 {
			t.Errorf("%s: %d", name, n)
		}
	}
	if n := count("SELECT count(*) FROM prevention.sessions WHERE status = 'planned'"); n == 0 {
		t.Error("no planned sessions")
	}

	// Sealed values open through the normal read path, as the site's
	// coordinator and its police liaison see them.
	var coord, police *models.User
	err = models.InTx(ctx, db, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		var err error
		if coord, err = st.UserByEmail("coord01@ge.synthetic.kurve.example"); err != nil {
			return err
		}
		police, err = st.UserByEmail("police01@ge.synthetic.kurve.example")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var sessionChecked bool
	err = models.InTx(ctx, db, models.DBPrevention, models.Actor{UserID: coord.ID, SiteID: coord.SiteID, Role: coord.Role}, func(st *models.Store) error {
		st.UseCipher(cipher)
		ps, err := st.Participants(models.ParticipantFilter{})
		if err != nil {
			return err
		}
		if want := count("SELECT count(*) FROM prevention.participants WHERE site_id = ?", ge.ID); len(ps) != want || want == 0 {
			t.Errorf("coordinator sees %d participants of %d", len(ps), want)
		}
		for i := range ps {
			p := &ps[i]
			age := p.Age(p.CreatedAt)
			if p.FirstName == "" || p.LastName == "" || age < 8 || age > 17 || !strings.HasPrefix(p.CaseNumber, "GE-") {
				t.Errorf("participant %s: %q %q, %d years at entry", p.CaseNumber, p.FirstName, p.LastName, age)
			}
			if p.Status != models.StatusActive {
				continue
			}
			if missing, err := st.MissingConsent(p, today); err != nil || len(missing) > 0 {
				t.Errorf("active %s lacks consent: %+v %v", p.CaseNumber, missing, err)
			}
			f, err := st.FamilyByID(p.FamilyID)
			if err != nil || f.Address == "" || f.Phone == "" {
				t.Errorf("family of %s: %+v %v", p.CaseNumber, f, err)
			}
			gs, err := st.GuardiansOf(p.ID)
			if err != nil || len(gs) == 0 || gs[0].FirstName == "" {
				t.Errorf("guardians of %s: %+v %v", p.CaseNumber, gs, err)
			}
			goals, err := st.GoalsOf(p.ID)
			if err != nil || len(goals) < 2 || len(goals) > 4 || goals[0].Title == "" {
				t.Errorf("goals of %s: %+v %v", p.CaseNumber, goals, err)
			}
			if sessionChecked {
				continue
			}
			// Every held session of a case had valid consent on its day.
			ss, err := st.SessionsOf(p.ID)
			if err != nil || len(ss) == 0 {
				t.Errorf("sessions of %s: %d %v", p.CaseNumber, len(ss), err)
			}
			for _, s := range ss {
				if missing, err := st.MissingConsent(p, s.StartedAt); s.Status == models.SessionHeld && (err != nil || len(missing) > 0) {
					t.Errorf("session %s of %s without consent: %+v %v", s.StartedAt, p.CaseNumber, missing, err)
				}
			}
			sessionChecked = true
		}
		_, err = st.IntakeQueue() // referrals still waiting, opened through the crossing
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = models.InTx(ctx, db, models.DBEnforcement, models.Actor{UserID: police.ID, SiteID: police.SiteID, Role: police.Role}, func(st *models.Store) error {
		st.UseCipher(cipher)
		fb, err := st.ReferralFeedback()
		if err != nil || len(fb) == 0 {
			t.Fatalf("referral feedback: %d %v", len(fb), err)
		}
		r, err := st.ReferralByID(fb[0].ID)
		if err == nil && (r.FirstName == "" || !strings.HasPrefix(r.PoliceReference, "PP-GE-")) {
			t.Errorf("referral %+v", r)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// The next case number the app draws is a new one.
	var next string
	if err := db.Raw("SELECT prevention.next_case_number(?, ?)", ge.ID, today.Year()).Scan(&next).Error; err != nil {
		t.Fatal(err)
	}
	if n := count("SELECT count(*) FROM prevention.participants WHERE case_number = ?", next); n != 0 {
		t.Errorf("next case number %s is taken", next)
	}

	// A second run refuses instead of doubling the data.
	if _, err := models.SeedSynthetic(ctx, db, cipher, opt); !errors.Is(err, models.ErrConflict) {
		t.Errorf("second run: %v", err)
	}
	if n := count("SELECT count(*) FROM prevention.participants"); n != 300 {
		t.Errorf("%d participants after the second run", n)
	}

	// The same seed gives the same data elsewhere.
	other := dbtest.New(t)
	if _, err := models.SeedSynthetic(ctx, other.Gorm, cipher, opt); err != nil {
		t.Fatal(err)
	}
	shape := `SELECT md5(string_agg(p.id::text || p.case_number || p.status || p.status_changed_on
		|| (SELECT count(*) FROM prevention.session_participants sp WHERE sp.participant_id = p.id), ',' ORDER BY p.id))
		FROM prevention.participants p`
	var a, b string
	db.Raw(shape).Scan(&a)
	other.Gorm.Raw(shape).Scan(&b)
	if a == "" || a != b {
		t.Errorf("same seed, different data: %s %s", a, b)
	}
}

// checkStatusHistory walks every participant's status history: it starts
// with referred, each step is allowed by the graph and later than the one
// before, and the participant's own columns agree with its last step.
func checkStatusHistory(t *testing.T, db *gorm.DB) {
	t.Helper()
	var rows []struct {
		ParticipantID   string
		FromStatus      *string
		ToStatus        models.Status
		EffectiveOn     time.Time
		Status          models.Status
		StatusChangedOn time.Time
		ActivatedOn     *time.Time
		EndedOn         *time.Time
	}
	err := db.Raw(`SELECT s.participant_id, s.from_status, s.to_status, s.effective_on,
		  p.status, p.status_changed_on, p.activated_on, p.ended_on
		FROM prevention.status_changes s JOIN prevention.participants p ON p.id = s.participant_id
		ORDER BY s.participant_id, s.id`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	participants, failures := 0, 0
	fail := func(id, format string, args ...any) {
		t.Helper()
		if failures++; failures <= 10 {
			t.Errorf("participant %s: "+format, append([]any{id}, args...)...)
		}
	}
	for i := 0; i < len(rows); participants++ {
		j := i
		for j < len(rows) && rows[j].ParticipantID == rows[i].ParticipantID {
			j++
		}
		h, id := rows[i:j], rows[i].ParticipantID
		var activated *time.Time
		for k, r := range h {
			if k == 0 {
				if r.FromStatus != nil || r.ToStatus != models.StatusReferred {
					fail(id, "history starts with %v → %s", r.FromStatus, r.ToStatus)
				}
			} else if prev := h[k-1]; r.FromStatus == nil || *r.FromStatus != string(prev.ToStatus) ||
				!models.CanTransition(prev.ToStatus, r.ToStatus) || !r.EffectiveOn.After(prev.EffectiveOn) {
				fail(id, "step %s → %s on %s after %s", prev.ToStatus, r.ToStatus, r.EffectiveOn, prev.EffectiveOn)
			}
			if r.ToStatus == models.StatusActive {
				activated = &h[k].EffectiveOn
			}
		}
		p, last := h[0], h[len(h)-1]
		if p.Status != last.ToStatus || !p.StatusChangedOn.Equal(last.EffectiveOn) || !last.EffectiveOn.Before(today) {
			fail(id, "status %s since %s, history ends %s on %s", p.Status, p.StatusChangedOn, last.ToStatus, last.EffectiveOn)
		}
		if (activated == nil) != (p.ActivatedOn == nil) || (activated != nil && !activated.Equal(*p.ActivatedOn)) {
			fail(id, "activated on %v, history says %v", p.ActivatedOn, activated)
		}
		if p.Status.Open() != (p.EndedOn == nil) || (p.EndedOn != nil && !p.EndedOn.Equal(last.EffectiveOn)) {
			fail(id, "status %s ended on %v", p.Status, p.EndedOn)
		}
		i = j
	}
	var n int64
	db.Raw("SELECT count(*) FROM prevention.participants").Scan(&n)
	if participants != int(n) {
		t.Errorf("%d of %d participants have a status history", participants, n)
	}
}
