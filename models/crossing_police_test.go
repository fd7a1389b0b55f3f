package models_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// The third crossing (issue 17, item 4; SPEC §5 "Outcome counts"): police
// contacts after program start by program outcome, aggregate only. Named
// TestCrossing… so that make mutate-wall runs them with the wall's tests.

// policeFact is a child of a statistics test with the police contacts
// recorded on its referral, in days after its program start (negative:
// between referral and start).
type policeFact struct {
	fact
	contacts []int
}

// insertPoliceFacts writes the facts (insertFacts: the program starts a
// month after entry), then the contacts as their liaison would have
// recorded them, and refreshes the statistics.
func insertPoliceFacts(t *testing.T, db *gorm.DB, pfs []policeFact) {
	t.Helper()
	facts := make([]fact, len(pfs))
	for i, pf := range pfs {
		facts[i] = pf.fact
	}
	insertFacts(t, db, facts)
	for i, pf := range pfs {
		for _, d := range pf.contacts {
			dbtest.Exec(t, db, `INSERT INTO enforcement.police_contacts (id, referral_id, occurred_on, category, recorded_by)
				SELECT gen_random_uuid(), d.referral_id, p.activated_on + ?::integer, 'violence', r.submitted_by
				FROM prevention.participants p JOIN prevention.intake_decisions d ON d.participant_id = p.id
				JOIN enforcement.referrals r ON r.id = d.referral_id WHERE p.case_number = ?`, d, fmt.Sprintf("%s-T-%04d", pf.site, i))
		}
	}
	if ok, err := models.RefreshStatistics(context.Background(), db); err != nil || !ok {
		t.Fatalf("refresh: %v %v", ok, err)
	}
}

// policeRow is a row of crossing.police_outcomes.
type policeRow struct {
	Grp                                             int
	Site, Quarter, AgeBand, Gender, Reason, Outcome *string
	Year                                            *int
	Interpreter                                     *bool
	Children6m                                      *int64 `gorm:"column:children_6m"`
	Contacted6m                                     *int64 `gorm:"column:contacted_6m"`
	Children12m                                     *int64 `gorm:"column:children_12m"`
	Contacted12m                                    *int64 `gorm:"column:contacted_12m"`
	Children24m                                     *int64 `gorm:"column:children_24m"`
	Contacted24m                                    *int64 `gorm:"column:contacted_24m"`
}

func (r policeRow) counts() []*int64 {
	return []*int64{r.Children6m, r.Contacted6m, r.Children12m, r.Contacted12m, r.Children24m, r.Contacted24m}
}

// callPoliceOutcomes calls the crossing as kurve_statistics for an
// application role (an evaluator's requests set "evaluator").
func callPoliceOutcomes(t *testing.T, db *gorm.DB, appRole models.Role, by string, k int) []policeRow {
	t.Helper()
	var rows []policeRow
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE kurve_statistics").Error; err != nil {
			return err
		}
		if err := tx.Exec("SELECT set_config('kurve.role', ?, true)", string(appRole)).Error; err != nil {
			return err
		}
		return tx.Raw("SELECT * FROM crossing.police_outcomes(?::text[], NULL, NULL, NULL, ?)", by, k).Scan(&rows).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// outcomeOf finds the row of the grand total for outcome ("" both).
func outcomeOf(rows []policeRow, outcome string) *policeRow {
	for i, r := range rows {
		if r.Site == nil && (r.Outcome == nil && outcome == "" || r.Outcome != nil && *r.Outcome == outcome) {
			return &rows[i]
		}
	}
	return nil
}

// TestCrossingPoliceOutcomes: exactly who counts, in which window and
// outcome; the rates; evaluation consent always required; only the
// evaluator's role gets rows; small counts and the complement of small
// counts come back NULL from the database.
func TestCrossingPoliceOutcomes(t *testing.T) {
	tdb := dbtest.New(t)
	now := models.ProgramDay(time.Now())
	// The program starts a month after entry (insertFacts).
	started := func(monthsAgo int) time.Time { return now.AddDate(0, -monthsAgo-1, 0) }
	base := fact{site: "ES", age: 11, gender: "male", reason: "violence", evaluation: true}
	child := func(st models.Status, start time.Time, contacts ...int) policeFact {
		f := base
		f.status, f.entry = st, start
		return policeFact{fact: f, contacts: contacts}
	}
	var pfs []policeFact
	add := func(n int, pf policeFact) {
		for range n {
			pfs = append(pfs, pf)
		}
	}
	// Completed, started 25 months ago: every window elapsed.
	add(3, child(models.StatusCompleted, started(25), 30))       // 6m, 12m, 24m
	add(3, child(models.StatusCompleted, started(25), 250))      // 12m, 24m
	add(3, child(models.StatusCompleted, started(25), 500))      // 24m
	add(3, child(models.StatusCompleted, started(25), -10, 745)) // before start and after 24m: none
	// Ended early (ended early or withdrawn), started 14 months ago: 6m and
	// 12m elapsed, 24m not.
	add(3, child(models.StatusEndedEarly, started(14), 10))
	add(3, child(models.StatusWithdrawn, started(14), 200))
	add(3, child(models.StatusEndedEarly, started(14)))
	// Not counted: still active; without evaluation consent; never
	// started; started two months ago (no window elapsed).
	add(3, child(models.StatusActive, started(25), 30))
	noConsent := child(models.StatusCompleted, started(25), 30)
	noConsent.evaluation = false
	add(3, noConsent)
	add(3, child(models.StatusDeclined, started(25)))
	recent := child(models.StatusCompleted, started(2), 5)
	recent.months = 1
	add(3, recent)
	insertPoliceFacts(t, tdb.Gorm, pfs)

	// Through the outcome table (by nothing: the grand total).
	for _, relaxed := range []bool{false, true} {
		tbl := outcomes(t, tdb.Gorm, models.StatsQuery{K: 3, Relaxed: relaxed})
		g := rowByKey(tbl, []any{}...)
		if g == nil {
			t.Fatal("no grand total")
		}
		for m, want := range map[string]float64{
			"police_window_6m": 21, "police_contact_6m": 6, "police_window_12m": 21, "police_contact_12m": 12,
			"police_window_24m": 12, "police_contact_24m": 9,
			"police_window_6m_completed": 12, "police_contact_6m_completed": 3, "police_window_12m_completed": 12,
			"police_contact_12m_completed": 6, "police_window_24m_completed": 12, "police_contact_24m_completed": 9,
			"police_window_6m_ended_early": 9, "police_contact_6m_ended_early": 3, "police_window_12m_ended_early": 9,
			"police_contact_12m_ended_early": 6, "police_window_24m_ended_early": 0, "police_contact_24m_ended_early": 0,
			"police_contact_6m_rate": 0.286, "police_contact_6m_completed_rate": 0.25, "police_contact_6m_ended_early_rate": 0.333,
			"police_contact_12m_rate": 0.571, "police_contact_12m_completed_rate": 0.5, "police_contact_12m_ended_early_rate": 0.667,
			"police_contact_24m_rate": 0.75, "police_contact_24m_completed_rate": 0.75,
		} {
			if got, ok := measure(g, m); !ok || got != want {
				t.Errorf("relaxed=%v: %s = %v (shown %v), want %v (suppressed %v)", relaxed, m, got, ok, want, g.Suppressed)
			}
		}
		// No ended-early program has reached 24 months: nothing to divide.
		if v, ok := g.Measures["police_contact_24m_ended_early_rate"]; !ok || v != nil || slices.Contains(g.Suppressed, "police_contact_24m_ended_early_rate") {
			t.Errorf("relaxed=%v: 24-month rate of early ends %v, want not applicable", relaxed, v)
		}
	}

	// Straight from the database: with k = 5 the 3 completed children
	// without a contact within 24 months are too few, so the 9 with one are
	// not returned either (9 of 12 would give them away).
	rows := callPoliceOutcomes(t, tdb.Gorm, models.RoleEvaluator, "{}", 5)
	completed := outcomeOf(rows, "completed")
	if completed == nil || completed.Children24m == nil || *completed.Children24m != 12 || completed.Contacted24m != nil {
		t.Errorf("completed at k=5: %+v", completed)
	}
	if total := outcomeOf(rows, ""); total == nil || total.Children6m == nil || *total.Children6m != 21 || total.Contacted6m == nil || *total.Contacted6m != 6 {
		t.Errorf("total at k=5: %+v", total)
	}
	// Only an evaluator's request gets anything.
	for _, role := range []models.Role{models.RolePoliceLiaison, models.RoleCoordinator, models.RoleAdmin, ""} {
		if rows := callPoliceOutcomes(t, tdb.Gorm, role, "{}", 5); len(rows) != 0 {
			t.Errorf("application role %q gets %d rows", role, len(rows))
		}
	}
}

// TestCrossingPoliceOutcomesNoSmallCell: grouped so that a cell holds
// one child, the database returns that cell suppressed; whatever k the
// caller passes, no count of 1 or 2 children, and no row per person,
// leaves the function; the function returns exactly its documented
// columns, is executable by kurve_statistics alone, and the per-child rows
// behind it are nobody's to read.
func TestCrossingPoliceOutcomesNoSmallCell(t *testing.T) {
	tdb := dbtest.New(t)
	db := tdb.Gorm
	now := models.ProgramDay(time.Now())
	start := now.AddDate(0, -27, 0)
	var pfs []policeFact
	for i := range 12 {
		f := fact{site: "ES", entry: start, age: 10 + i%2, gender: "female", reason: "property", status: models.StatusCompleted, evaluation: true}
		pfs = append(pfs, policeFact{fact: f, contacts: []int{40 + 30*i}})
	}
	// The only child of Duisburg, the only one aged 14, the only "other".
	alone := fact{site: "DU", entry: start, age: 14, gender: "male", reason: "other", status: models.StatusEndedEarly, evaluation: true}
	pfs = append(pfs, policeFact{fact: alone, contacts: []int{20}})
	insertPoliceFacts(t, db, pfs)

	all := "{site,year,quarter,age_band,gender,interpreter,reason}"
	for _, k := range []int{1, 3, 5} {
		rows := callPoliceOutcomes(t, db, models.RoleEvaluator, all, k)
		if len(rows) == 0 {
			t.Fatalf("k=%d: no rows", k)
		}
		floor := max(k, models.MinK)
		sawAlone := false
		for _, r := range rows {
			for _, n := range r.counts() {
				if n != nil && *n > 0 && *n < int64(floor) {
					t.Errorf("k=%d: a count of %d in %+v", k, *n, r)
				}
			}
			if r.Grp == 0 && r.Site != nil && *r.Site == "DU" {
				sawAlone = true
				if r.Children6m != nil || r.Contacted6m != nil || r.Children24m != nil {
					t.Errorf("k=%d: the one child of its cell is shown: %+v", k, r)
				}
			}
		}
		if !sawAlone {
			t.Errorf("k=%d: no (suppressed) cell for the lone child", k)
		}
	}
	// Through the outcome table: the lone child's site is suppressed, and
	// so is another site or the total it could be worked out from.
	tbl := outcomes(t, db, models.StatsQuery{By: []string{"site"}, K: 5})
	for _, m := range []string{"police_window_6m", "police_contact_6m", "police_window_6m_ended_early", "police_contact_6m_rate"} {
		if _, ok := measure(rowByKey(tbl, "DU"), m); ok {
			t.Errorf("DU shows %s for one child", m)
		}
	}
	_, esShown := measure(rowByKey(tbl, "ES"), "police_window_6m")
	_, totalShown := measure(rowByKey(tbl, nil), "police_window_6m")
	if esShown && totalShown {
		t.Error("DU = total − ES: both shown")
	}

	// Columns as documented.
	want := []string{"grp", "site", "year", "quarter", "age_band", "gender", "interpreter", "reason", "outcome",
		"children_6m", "contacted_6m", "children_12m", "contacted_12m", "children_24m", "contacted_24m"}
	r, err := db.Raw("SELECT * FROM crossing.police_outcomes('{}', NULL, NULL, NULL, 5) LIMIT 0").Rows()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.Columns()
	r.Close()
	if !slices.Equal(got, want) {
		t.Errorf("columns %v, documented %v", got, want)
	}
	// Only the statistics role may call it (with any application role it
	// runs but answers nothing, TestCrossingPoliceOutcomes); nobody reads
	// the per-child rows or the cube, or refreshes it but the jobs' role.
	evaluator := models.Actor{Role: models.RoleEvaluator}
	for _, role := range models.DBRoles {
		err := asRole(db, role, evaluator, "SELECT * FROM crossing.police_outcomes('{site}', NULL, NULL, NULL, 5)")
		if role == models.DBStatistics && err != nil {
			t.Errorf("statistics cannot call the crossing: %v", err)
		}
		if role != models.DBStatistics && !models.IsPermissionDenied(err) {
			t.Errorf("%s may call the crossing: %v", role, err)
		}
		for _, sql := range []string{"SELECT * FROM stats_base.police_outcome_rows()", "SELECT * FROM stats_base.police_outcome_cube",
			"SELECT enforcement.police_contact_dates()"} {
			if err := asRole(db, role, evaluator, sql); !models.IsPermissionDenied(err) {
				t.Errorf("%s: %s: %v", role, sql, err)
			}
		}
		err = asRole(db, role, evaluator, "SELECT statistics.refresh_police_outcomes()")
		if role == models.DBJobs && err != nil {
			t.Errorf("jobs cannot refresh the police outcome counts: %v", err)
		}
		if role != models.DBJobs && !models.IsPermissionDenied(err) {
			t.Errorf("%s may refresh the police outcome counts: %v", role, err)
		}
	}
	// The database refuses unknown dimensions itself.
	if err := asRole(db, models.DBStatistics, evaluator, "SELECT * FROM crossing.police_outcomes('{participant_id}', NULL, NULL, NULL, 5)"); err == nil {
		t.Error("the crossing grouped by a column that is no dimension")
	}
}

// TestCrossingPoliceOutcomesRandom: on random children and contacts, every
// police count the outcome table shows is true and none is below k, and
// the property check of models.Suppress (checkSuppression) holds for the
// tables the crossing's counts form: sites × outcomes, and sites × genders
// per outcome, for every window and count.
func TestCrossingPoliceOutcomesRandom(t *testing.T) {
	tdb := dbtest.New(t)
	now := models.ProgramDay(time.Now())
	rng := rand.New(rand.NewSource(17))
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	statuses := []models.Status{models.StatusCompleted, models.StatusCompleted, models.StatusEndedEarly, models.StatusWithdrawn, models.StatusActive}
	var pfs []policeFact
	for range 300 {
		// Entry on a day 1..28, so that months add alike in Go and SQL.
		entry := time.Date(now.Year(), now.Month(), 1+rng.Intn(28), 0, 0, 0, 0, time.UTC).AddDate(0, -2-rng.Intn(40), 0)
		f := fact{site: pick("ES", "ES", "DU", "DO"), entry: entry, age: 8 + rng.Intn(8), gender: pick("male", "male", "female"),
			reason: pick("violence", "property", "other"), status: statuses[rng.Intn(len(statuses))], evaluation: rng.Intn(6) > 0,
			months: 1 + rng.Intn(12)}
		var contacts []int
		for range rng.Intn(3) {
			d := -25 + rng.Intn(900)
			if !entry.AddDate(0, 1, d).After(now) {
				contacts = append(contacts, d)
			}
		}
		pfs = append(pfs, policeFact{fact: f, contacts: contacts})
	}
	insertPoliceFacts(t, tdb.Gorm, pfs)

	// The truth per measure and key (fmt of the key with nil for totals).
	type key = string
	truth := map[key]map[string]int{}
	count := func(k []any, m string) {
		ks := fmt.Sprint(k)
		if truth[ks] == nil {
			truth[ks] = map[string]int{}
		}
		truth[ks][m]++
	}
	for _, pf := range pfs {
		f := pf.fact
		if !f.evaluation || (f.status != models.StatusCompleted && f.status != models.StatusEndedEarly && f.status != models.StatusWithdrawn) {
			continue
		}
		outcome := "ended_early"
		if f.status == models.StatusCompleted {
			outcome = "completed"
		}
		start := f.entry.AddDate(0, 1, 0)
		for i, months := range []int{6, 12, 24} {
			w := models.PoliceWindows[i]
			end := start.AddDate(0, months, 0)
			if end.After(now) {
				continue
			}
			hit := slices.ContainsFunc(pf.contacts, func(d int) bool { return d >= 0 && start.AddDate(0, 0, d).Before(end) })
			for _, o := range []string{"", outcome} {
				for _, k := range [][]any{{}, {nil}, {f.site}, {nil, nil}, {f.site, nil}, {nil, f.gender}, {f.site, f.gender}} {
					count(k, models.PoliceWindowCount(w, o))
					if hit {
						count(k, models.PoliceContactCount(w, o))
					}
				}
			}
		}
	}
	var names []string
	for _, w := range models.PoliceWindows {
		for _, o := range []string{"", "completed", "ended_early"} {
			names = append(names, models.PoliceWindowCount(w, o), models.PoliceContactCount(w, o))
		}
	}
	hidden := func(r *models.OutcomeRow, m string) bool {
		return r != nil && r.Measures[m] == nil && slices.Contains(r.Suppressed, m)
	}
	shown, suppressed := 0, 0
	for _, k := range []int{3, 5} {
		for _, by := range [][]string{{}, {"site"}, {"site", "gender"}} {
			tbl := outcomes(t, tdb.Gorm, models.StatsQuery{By: by, K: k})
			for _, r := range tbl.Rows {
				for _, m := range names {
					v, ok := measure(&r, m)
					if !ok {
						suppressed++
						continue
					}
					shown++
					if want := truth[fmt.Sprint(r.Key)][m]; int(v) != want {
						t.Errorf("by %v k=%d: %s at %v = %v, truth %d", by, k, m, r.Key, v, want)
					}
					if v > 0 && v < float64(k) {
						t.Errorf("by %v k=%d: %s at %v = %v below k", by, k, m, r.Key, v)
					}
				}
				for _, w := range models.PoliceWindows {
					for _, o := range []string{"", "completed", "ended_early"} {
						if r.Measures[models.PoliceRate(w, o)] != nil && (hidden(&r, models.PoliceWindowCount(w, o)) || hidden(&r, models.PoliceContactCount(w, o))) {
							t.Errorf("by %v k=%d: %s shown from hidden counts at %v", by, k, models.PoliceRate(w, o), r.Key)
						}
					}
				}
			}
			sites := []string{"DO", "DU", "ES"}
			switch len(by) {
			case 1:
				// Sites × outcomes, with the site totals and the grand
				// total's outcomes as the margins.
				for _, w := range models.PoliceWindows {
					for _, name := range []func(string, string) string{models.PoliceWindowCount, models.PoliceContactCount} {
						counts := make([][]int, len(sites))
						s := models.Suppression{Cells: make([][]bool, len(sites)), Rows: make([]bool, len(sites)), Cols: make([]bool, 2)}
						grand := rowByKey(tbl, nil)
						for i, site := range sites {
							row := rowByKey(tbl, site)
							s.Rows[i] = hidden(row, name(w, ""))
							s.Cells[i] = make([]bool, 2)
							for j, o := range models.PoliceOutcomes {
								counts[i] = append(counts[i], truth[fmt.Sprint([]any{site})][name(w, o)])
								s.Cells[i][j] = hidden(row, name(w, o))
							}
						}
						for j, o := range models.PoliceOutcomes {
							s.Cols[j] = hidden(grand, name(w, o))
						}
						s.Grand = hidden(grand, name(w, ""))
						checkSuppression(t, counts, k, s)
					}
				}
			case 2:
				// Sites × genders, per outcome.
				genders := []string{"female", "male"}
				for _, w := range models.PoliceWindows {
					for _, o := range []string{"", "completed", "ended_early"} {
						for _, m := range []string{models.PoliceWindowCount(w, o), models.PoliceContactCount(w, o)} {
							counts := make([][]int, len(sites))
							s := models.Suppression{Cells: make([][]bool, len(sites)), Rows: make([]bool, len(sites)), Cols: make([]bool, len(genders))}
							for i, site := range sites {
								s.Rows[i] = hidden(rowByKey(tbl, site, nil), m)
								s.Cells[i] = make([]bool, len(genders))
								for j, g := range genders {
									counts[i] = append(counts[i], truth[fmt.Sprint([]any{site, g})][m])
									s.Cells[i][j] = hidden(rowByKey(tbl, site, g), m)
								}
							}
							for j, g := range genders {
								s.Cols[j] = hidden(rowByKey(tbl, nil, g), m)
							}
							s.Grand = hidden(rowByKey(tbl, nil, nil), m)
							checkSuppression(t, counts, k, s)
						}
					}
				}
			}
		}
	}
	t.Logf("police counts: %d shown, %d suppressed", shown, suppressed)
	// The data set is meant to exercise both.
	if shown < 100 || suppressed < 20 {
		t.Errorf("%d police counts shown, %d suppressed: the data set tests too little", shown, suppressed)
	}
}
