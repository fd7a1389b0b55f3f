package models_test

import (
	"context"
	"testing"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestSeedSyntheticPoliceContacts: the synthetic data set has police
// contacts on its referrals (issue 17, item 8), recorded by the referral's
// liaison, between the referral's day and today; more often after an
// early end than after a completed program; some before program start,
// most after; and crossing 3 counts them.
func TestSeedSyntheticPoliceContacts(t *testing.T) {
	ctx := context.Background()
	tdb := dbtest.New(t)
	dbtest.Seed(t, tdb.Gorm)
	db := tdb.Gorm
	cipher, _ := models.NewCipher(models.EphemeralDataKey())
	if _, err := models.SeedSynthetic(ctx, db, cipher, models.SyntheticOptions{Participants: 500, Seed: 11, Today: today}); err != nil {
		t.Fatal(err)
	}
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int64
		if err := db.Raw(sql, args...).Scan(&n).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return int(n)
	}
	all := count("SELECT count(*) FROM enforcement.police_contacts")
	if all < 50 {
		t.Fatalf("only %d police contacts", all)
	}
	for name, sql := range map[string]string{
		"recorded by another than the referral's liaison": `SELECT count(*) FROM enforcement.police_contacts c
			JOIN enforcement.referrals r ON r.id = c.referral_id WHERE c.recorded_by <> r.submitted_by`,
		"before the referral or after today": `SELECT count(*) FROM enforcement.police_contacts c
			JOIN enforcement.referrals r ON r.id = c.referral_id
			WHERE c.occurred_on < (r.created_at AT TIME ZONE 'Europe/Berlin')::date OR c.occurred_on > @today`,
		"not a reason category": "SELECT count(*) FROM enforcement.police_contacts WHERE category NOT IN ('violence', 'property', 'other')",
	} {
		var args []any
		if name == "before the referral or after today" {
			args = append(args, map[string]any{"today": today})
		}
		if n := count(sql, args...); n != 0 {
			t.Errorf("%s: %d", name, n)
		}
	}
	// Per program outcome: the share of children with a contact within a
	// year after start, among those started more than a year ago.
	share := func(statuses string) (float64, int) {
		var r struct{ Hit, N int }
		if err := db.Raw(`SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM prevention.intake_decisions d
				JOIN enforcement.police_contacts c ON c.referral_id = d.referral_id
				WHERE d.participant_id = p.id AND c.occurred_on >= p.activated_on AND c.occurred_on < p.activated_on + 365)) AS hit,
			count(*) AS n
			FROM prevention.participants p WHERE p.status = ANY (string_to_array(?, ',')) AND p.activated_on <= ?::date - 365`,
			statuses, today).Scan(&r).Error; err != nil {
			t.Fatal(err)
		}
		if r.N == 0 {
			t.Fatalf("no %s program started a year ago", statuses)
		}
		return float64(r.Hit) / float64(r.N), r.N
	}
	completed, nc := share("completed")
	early, ne := share("ended_early,withdrawn")
	if early <= completed*1.3 {
		t.Errorf("contacts within a year: %.2f of %d ended early, %.2f of %d completed", early, ne, completed, nc)
	}
	before := count(`SELECT count(*) FROM enforcement.police_contacts c JOIN prevention.intake_decisions d ON d.referral_id = c.referral_id
		JOIN prevention.participants p ON p.id = d.participant_id WHERE c.occurred_on < p.activated_on`)
	after := count(`SELECT count(*) FROM enforcement.police_contacts c JOIN prevention.intake_decisions d ON d.referral_id = c.referral_id
		JOIN prevention.participants p ON p.id = d.participant_id WHERE c.occurred_on >= p.activated_on`)
	if before == 0 || after <= 2*before {
		t.Errorf("%d contacts before program start, %d after", before, after)
	}

	// Crossing 3 counts them, for the evaluators.
	if ok, err := models.RefreshStatistics(ctx, db); err != nil || !ok {
		t.Fatalf("refresh: %v %v", ok, err)
	}
	var tbl *models.OutcomeTable
	err := models.InTx(ctx, db, models.DBStatistics, models.Actor{Role: models.RoleEvaluator}, func(st *models.Store) (err error) {
		tbl, err = st.Outcomes(models.StatsQuery{K: 5})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	g := rowByKey(tbl)
	for _, m := range []string{"police_window_12m_completed", "police_window_12m_ended_early", "police_contact_12m_completed_rate",
		"police_contact_12m_ended_early_rate"} {
		if v, ok := measure(g, m); !ok || v <= 0 {
			t.Errorf("%s = %v (shown %v)", m, v, ok)
		}
	}
}
