package models_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand"
	"regexp"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// fact is one synthetic participant of a statistics test, written straight
// into the prevention tables as the owner (identity columns hold no real
// ciphertext: statistics never decrypt).
type fact struct {
	site        string
	entry       time.Time
	age         int
	gender      string
	interpreter bool
	reason      string // referral reason category, or "none"
	status      models.Status
	evaluation  bool // a guardian's valid evaluation consent
	sessions    int
	attended    int
	months      int // in program, for ended programs (0: 6)
}

func (f fact) value(dim string) any {
	switch dim {
	case "site":
		return f.site
	case "year":
		return f.entry.Year()
	case "quarter":
		return fmt.Sprintf("%d-Q%d", f.entry.Year(), (int(f.entry.Month())+2)/3)
	case "age_band":
		switch a := f.age; {
		case a < 8:
			return "under_8"
		case a <= 9:
			return "8-9"
		case a <= 11:
			return "10-11"
		case a <= 13:
			return "12-13"
		case a <= 15:
			return "14-15"
		default:
			return "16+"
		}
	case "gender":
		return f.gender
	case "interpreter":
		return f.interpreter
	case "reason":
		return f.reason
	}
	panic(dim)
}

// insertFacts writes the facts and refreshes the statistics views.
func insertFacts(t *testing.T, db *gorm.DB, facts []fact) {
	t.Helper()
	dbtest.Seed(t, db)
	var user, police string
	db.Raw("SELECT id FROM org.users WHERE role = 'coordinator'").Scan(&user)
	db.Raw("SELECT id FROM org.users WHERE role = 'police_liaison'").Scan(&police)
	err := db.Transaction(func(tx *gorm.DB) error {
		var measure string
		for i, f := range facts {
			var site string
			if err := tx.Raw("SELECT id FROM org.sites WHERE code = ?", f.site).Scan(&site).Error; err != nil {
				return err
			}
			var family, child string
			tx.Raw("INSERT INTO prevention.families (id, site_id) VALUES (gen_random_uuid(), ?) RETURNING id", site).Scan(&family)
			mode := "fluent"
			if f.interpreter {
				mode = "interpreter"
			}
			if err := tx.Exec("INSERT INTO prevention.family_languages VALUES (?, 'ar', ?)", family, mode).Error; err != nil {
				return err
			}
			birth := time.Date(f.entry.Year()-f.age, f.entry.Month(), 1, 0, 0, 0, 0, time.UTC)
			var activated, ended any
			if f.status != models.StatusReferred && f.status != models.StatusContacted &&
				f.status != models.StatusConsentPending && f.status != models.StatusDeclined {
				activated = f.entry.AddDate(0, 1, 0)
			}
			if !f.status.Open() && activated != nil {
				ended = f.entry.AddDate(0, 1+cmp.Or(f.months, 6), 0)
			}
			var endReason any
			if f.status == models.StatusEndedEarly {
				endReason = "moved"
			}
			err := tx.Raw(`INSERT INTO prevention.participants (id, site_id, case_number, status, family_id, first_name_enc,
				last_name_enc, date_of_birth_enc, birth_month, gender, activated_on, ended_on, end_reason, created_at)
				VALUES (gen_random_uuid(), ?, ?, ?, ?, 'x', 'x', 'x', ?, ?, ?, ?, ?, ?) RETURNING id`,
				site, fmt.Sprintf("%s-T-%04d", f.site, i), string(f.status), family, birth, f.gender, activated, ended, endReason,
				f.entry.Add(12*time.Hour)).Scan(&child).Error
			if err != nil {
				return err
			}
			// Every child has a given consent of a guardian; only those with
			// evaluation consent have it cover "evaluation" (so a filter
			// that looks for any consent, not for evaluation, is caught).
			purposes := "{participation,data_processing}"
			if f.evaluation {
				purposes = "{participation,data_processing,evaluation}"
			}
			var guardian string
			if err := tx.Raw("INSERT INTO prevention.guardians (id, family_id, first_name_enc, last_name_enc) VALUES (gen_random_uuid(), ?, 'x', 'x') RETURNING id",
				family).Scan(&guardian).Error; err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO prevention.consents (id, participant_id, guardian_id, purposes, form_version, form_language,
				state, given_on, recorded_by) VALUES (gen_random_uuid(), ?, ?, ?, '2026-1', 'de', 'given', ?, ?)`,
				child, guardian, purposes, f.entry, user).Error; err != nil {
				return err
			}
			if f.reason != "none" {
				var ref string
				tx.Raw(`INSERT INTO enforcement.referrals (id, site_id, submitted_by, first_name_enc, last_name_enc, date_of_birth_enc, gender,
					reason_category, police_reference, created_at) VALUES (gen_random_uuid(), ?, ?, 'x', 'x', 'x', ?, ?, 'PP-1', ?) RETURNING id`,
					site, police, f.gender, f.reason, f.entry).Scan(&ref)
				if err := tx.Exec(`INSERT INTO prevention.intake_decisions (referral_id, site_id, decision, participant_id, decided_by, kind)
					VALUES (?, ?, 'accepted', ?, ?, 'new_case')`, ref, site, child, user).Error; err != nil {
					return err
				}
			}
			for s := 0; s < f.sessions; s++ {
				if measure == "" || s == 0 {
					tx.Raw(`INSERT INTO prevention.measures (site_id, code, name_de, name_en, name_tr, name_ar) VALUES (?, 'm'||substr(md5(random()::text), 1, 8), 'x', 'x', 'x', 'x')
						RETURNING id`, site).Scan(&measure)
				}
				attendance := "absent"
				if s < f.attended {
					attendance = "attended"
				}
				if err := tx.Exec(`WITH s AS (INSERT INTO prevention.sessions (id, site_id, measure_id, started_at, duration_minutes)
					VALUES (gen_random_uuid(), ?, ?, ?, 60) RETURNING id, started_at)
					INSERT INTO prevention.session_participants (session_id, participant_id, attendance, started_at) SELECT s.id, ?, ?, s.started_at FROM s`,
					site, measure, f.entry.AddDate(0, 1, s), child, attendance).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := models.RefreshStatistics(context.Background(), db); err != nil || !ok {
		t.Fatalf("refresh: %v %v", ok, err)
	}
}

func outcomes(t *testing.T, db *gorm.DB, q models.StatsQuery) *models.OutcomeTable {
	t.Helper()
	var out *models.OutcomeTable
	err := models.InTx(context.Background(), db, models.DBStatistics, models.Actor{Role: models.RoleEvaluator}, func(st *models.Store) error {
		var err error
		out, err = st.Outcomes(q)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rowByKey(tbl *models.OutcomeTable, key ...any) *models.OutcomeRow {
	for i := range tbl.Rows {
		if slices.Equal(tbl.Rows[i].Key, key) {
			return &tbl.Rows[i]
		}
	}
	return nil
}

func measure(r *models.OutcomeRow, name string) (float64, bool) {
	if r == nil || r.Measures[name] == nil {
		return 0, false
	}
	return *r.Measures[name], true
}

func repeat(n int, f fact) []fact {
	out := make([]fact, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// TestOutcomesEvaluationConsent: person-level measures count only
// participants with a guardian's evaluation consent, unless relaxed;
// referrals count all.
func TestOutcomesEvaluationConsent(t *testing.T) {
	tdb := dbtest.New(t)
	base := fact{site: "ES", entry: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), age: 11, gender: "male",
		reason: "violence", status: models.StatusActive, evaluation: true}
	without := base
	without.evaluation = false
	du := base
	du.site = "DU"
	facts := slices.Concat(repeat(12, base), repeat(5, without), repeat(6, du))
	insertFacts(t, tdb.Gorm, facts)

	tbl := outcomes(t, tdb.Gorm, models.StatsQuery{By: []string{"site"}, K: 5})
	for key, want := range map[any]float64{"ES": 12, "DU": 6, nil: 18} {
		if got, ok := measure(rowByKey(tbl, key), "participants"); !ok || got != want {
			t.Errorf("participants at %v: %v %v, want %v (evaluation consent only)", key, got, ok, want)
		}
	}
	for key, want := range map[any]float64{"ES": 17, "DU": 6, nil: 23} {
		if got, ok := measure(rowByKey(tbl, key), "referrals"); !ok || got != want {
			t.Errorf("referrals at %v: %v %v, want %v (all referrals)", key, got, ok, want)
		}
	}
	// The consent rate is referral-level: every referral here led to an
	// active participant, with or without evaluation consent.
	if got, ok := measure(rowByKey(tbl, "ES"), "consent_rate"); !ok || got != 1 {
		t.Errorf("consent rate at ES: %v %v", got, ok)
	}
	relaxed := outcomes(t, tdb.Gorm, models.StatsQuery{By: []string{"site"}, K: 5, Relaxed: true})
	if got, _ := measure(rowByKey(relaxed, "ES"), "participants"); got != 17 {
		t.Errorf("relaxed: %v participants at ES, want 17", got)
	}
	// Referrals cannot be broken down by a person's attributes.
	byGender := outcomes(t, tdb.Gorm, models.StatsQuery{By: []string{"site", "gender"}, K: 5})
	for _, r := range byGender.Rows {
		if r.Measures["referrals"] != nil || slices.Contains(r.Suppressed, "referrals") {
			t.Errorf("referrals by gender: %v", r)
		}
	}
}

// TestOutcomesSmallGroups: a group below k hides its counts and every
// measure derived from them; a single small group takes a complement.
func TestOutcomesSmallGroups(t *testing.T) {
	tdb := dbtest.New(t)
	es := fact{site: "ES", entry: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), age: 12, gender: "male",
		reason: "property", status: models.StatusCompleted, evaluation: true, sessions: 4, attended: 4}
	du, do := es, es
	du.site, do.site = "DU", "DO"
	insertFacts(t, tdb.Gorm, slices.Concat(repeat(9, es), repeat(2, du), repeat(30, do)))

	tbl := outcomes(t, tdb.Gorm, models.StatsQuery{By: []string{"site"}, K: 5})
	du2 := rowByKey(tbl, "DU")
	if du2 == nil {
		t.Fatal("no row for DU")
	}
	for _, m := range []string{"participants", "completion_rate", "attendance_rate", "sessions_per_participant", "status_completed"} {
		if du2.Measures[m] != nil || !slices.Contains(du2.Suppressed, m) {
			t.Errorf("DU (2 people) shows %s = %v", m, du2.Measures[m])
		}
	}
	// DU could be recovered from the total minus ES and DO: the smallest
	// other site (ES) is hidden too, DO and the total stay.
	if _, ok := measure(rowByKey(tbl, "ES"), "participants"); ok {
		t.Error("ES shown: DU = total − ES − DO")
	}
	if got, ok := measure(rowByKey(tbl, "DO"), "participants"); !ok || got != 30 {
		t.Errorf("DO: %v %v", got, ok)
	}
	if got, ok := measure(rowByKey(tbl, nil), "participants"); !ok || got != 41 {
		t.Errorf("total: %v %v", got, ok)
	}
	if got, _ := measure(rowByKey(tbl, "DO"), "attendance_rate"); got != 1 {
		t.Errorf("attendance rate at DO: %v", got)
	}
	if got, _ := measure(rowByKey(tbl, "DO"), "completion_rate"); got != 1 {
		t.Errorf("completion rate at DO: %v %+v", got, rowByKey(tbl, "DO"))
	}
	if got, _ := measure(rowByKey(tbl, "DO"), "months_in_program_median"); got != 6 {
		t.Errorf("months in program at DO: %v", got)
	}
	// k is a setting, but never below 3.
	k1 := outcomes(t, tdb.Gorm, models.StatsQuery{By: []string{"site"}, K: 1})
	if k1.K != models.MinK {
		t.Errorf("k = %d", k1.K)
	}
	if _, ok := measure(rowByKey(k1, "DU"), "participants"); ok {
		t.Error("k=1 showed a group of 2")
	}
}

var quarterRE = regexp.MustCompile(`^20\d\d-Q[1-4]$`)

// TestOutcomesRandom: on random data and every shape of table, each shown
// count is the true count, no count below k is shown, no relation between
// shown counts recovers a hidden one, and no value is finer than a month
// or free text.
func TestOutcomesRandom(t *testing.T) {
	tdb := dbtest.New(t)
	rng := rand.New(rand.NewSource(42))
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	var facts []fact
	for i := 0; i < 400; i++ {
		st := models.Statuses[rng.Intn(len(models.Statuses))]
		sessions := 0
		if st == models.StatusActive || st == models.StatusCompleted {
			sessions = rng.Intn(4)
		}
		facts = append(facts, fact{
			site:        pick("ES", "ES", "DU", "DO"),
			entry:       time.Date(2023+rng.Intn(3), time.Month(1+rng.Intn(12)), 1+rng.Intn(28), 0, 0, 0, 0, time.UTC),
			age:         7 + rng.Intn(11),
			gender:      pick("male", "male", "female", "diverse"),
			interpreter: rng.Intn(3) == 0,
			reason:      pick("violence", "property", "other", "none"),
			status:      st,
			evaluation:  rng.Intn(5) > 0,
			sessions:    sessions,
			attended:    rng.Intn(sessions + 1),
		})
	}
	insertFacts(t, tdb.Gorm, facts)
	shapes := [][]string{{}, {"site"}, {"gender"}, {"site", "year"}, {"site", "age_band", "year"},
		{"interpreter", "gender"}, {"reason", "year", "quarter"}, {"site", "reason"}, {"age_band", "gender", "interpreter", "site"}}
	for _, by := range shapes {
		for _, k := range []int{3, 5, 8} {
			tbl := outcomes(t, tdb.Gorm, models.StatsQuery{By: by, K: k})
			checkOutcomeTable(t, tbl, facts, by, k)
		}
	}
	// Filters narrow the counted participants.
	tbl := outcomes(t, tdb.Gorm, models.StatsQuery{By: []string{"site"}, Years: []int{2024}, Quarters: []int{2, 3}, K: 3})
	var want float64
	for _, f := range facts {
		if f.evaluation && f.entry.Year() == 2024 && f.entry.Month() >= 4 && f.entry.Month() <= 9 {
			want++
		}
	}
	if got, ok := measure(rowByKey(tbl, nil), "participants"); !ok || got != want {
		t.Errorf("filtered total %v %v, want %v", got, ok, want)
	}
}

func checkOutcomeTable(t *testing.T, tbl *models.OutcomeTable, facts []fact, by []string, k int) {
	t.Helper()
	// The truth, per key (with nil for the totals' dimensions).
	truth := map[string]map[string]float64{}
	keyOf := func(f fact, mask []bool) string {
		key := make([]any, len(by))
		for i, d := range by {
			if !mask[i] {
				key[i] = f.value(d)
			}
		}
		return fmt.Sprint(key)
	}
	n := len(by)
	masks := [][]bool{make([]bool, n)}
	if n > 0 {
		grand := slices.Repeat([]bool{true}, n)
		masks = append(masks, grand)
		if n > 1 {
			row := make([]bool, n)
			row[n-1] = true
			col := slices.Repeat([]bool{true}, n)
			col[n-1] = false
			masks = append(masks, row, col)
		}
	}
	for _, f := range facts {
		for _, m := range masks {
			key := keyOf(f, m)
			if truth[key] == nil {
				truth[key] = map[string]float64{}
			}
			if f.reason != "none" {
				truth[key]["referrals"]++
			}
			if !f.evaluation {
				continue
			}
			truth[key]["participants"]++
			truth[key]["status_"+string(f.status)]++
			// SPEC §6's attendance bands, computed here as fractions
			// (not as the database does, in whole percents).
			band := "attendance_none"
			switch share := float64(f.attended) / float64(f.sessions); {
			case f.sessions == 0:
			case share >= 0.8:
				band = "attendance_80_plus"
			case share >= 0.5:
				band = "attendance_50_79"
			default:
				band = "attendance_below_50"
			}
			truth[key][band]++
			truth[key]["sessions"] += float64(f.sessions)
			truth[key]["attended"] += float64(f.attended)
		}
	}
	counts := slices.Concat([]string{"participants", "referrals"}, statusNames(), models.AttendanceMeasures)
	for _, r := range tbl.Rows {
		key := fmt.Sprint(r.Key)
		for i, d := range by {
			switch v := r.Key[i].(type) {
			case nil, bool, int:
			case string:
				if d == "quarter" && !quarterRE.MatchString(v) {
					t.Errorf("quarter value %q", v)
				}
			default:
				t.Errorf("%s value %T", d, v)
			}
		}
		for _, m := range counts {
			got := r.Measures[m]
			if got == nil {
				continue
			}
			if *got != truth[key][m] {
				t.Errorf("by %v k=%d: %s at %s = %v, truth %v", by, k, m, key, *got, truth[key][m])
			}
			if *got > 0 && *got < float64(k) {
				t.Errorf("by %v k=%d: %s at %s = %v shown below k", by, k, m, key, *got)
			}
		}
		// The attendance rate: attended sessions of all sessions with
		// recorded attendance, when shown.
		if got := r.Measures["attendance_rate"]; got != nil {
			if want := truth[key]["attended"] / truth[key]["sessions"]; math.Abs(*got-want) > 0.0005+1e-9 { // shown to three decimals
				t.Errorf("by %v k=%d: attendance_rate at %s = %v, truth %.4f", by, k, key, *got, want)
			}
		}
		hidden := func(m string) bool { return slices.Contains(r.Suppressed, m) }
		if r.Measures["consent_rate"] != nil && r.Measures["referrals"] == nil {
			t.Errorf("by %v: consent rate shown without its referral count at %s", by, key)
		}
		if r.Measures["completion_rate"] != nil && (hidden("status_completed") || hidden("status_ended_early") || hidden("status_withdrawn")) {
			t.Errorf("by %v: completion rate shown from hidden counts at %s", by, key)
		}
		// Within a group, one hidden status among shown ones and a shown
		// total would give it away.
		nStatus := 0
		for _, s := range statusNames() {
			if hidden(s) {
				nStatus++
			}
		}
		if hidden("participants") {
			nStatus++
		}
		if nStatus == 1 {
			t.Errorf("by %v k=%d: one hidden member in participants = Σ statuses at %s: %v", by, k, key, r.Suppressed)
		}
	}
	// Across groups: the cells of each row / column and the row / column
	// totals of the grand total never have exactly one hidden member.
	if n == 0 {
		return
	}
	for _, m := range counts {
		groups := map[string][]bool{} // relation → hidden flags of its members
		zero := map[string]bool{}     // relations whose total is a shown zero
		for _, r := range tbl.Rows {
			h := slices.Contains(r.Suppressed, m)
			if r.Measures[m] == nil && !h {
				continue // not applicable
			}
			if v := r.Measures[m]; v != nil && *v == 0 && slices.Contains(r.Key, nil) {
				switch {
				case r.Key[0] == nil && r.Key[n-1] == nil:
					zero["grand"], zero["grandcols"] = true, true
				case r.Key[n-1] == nil:
					zero["row"+fmt.Sprint(r.Key)] = true
				default:
					zero["col"+fmt.Sprint(r.Key)] = true
				}
			}
			total := slices.Contains(r.Key, nil)
			cell := !total
			switch {
			case cell && n == 1:
				groups["grand"] = append(groups["grand"], h)
			case cell:
				row := slices.Clone(r.Key)
				row[n-1] = nil
				col := make([]any, n)
				col[n-1] = r.Key[n-1]
				groups["row"+fmt.Sprint(row)] = append(groups["row"+fmt.Sprint(row)], h)
				groups["col"+fmt.Sprint(col)] = append(groups["col"+fmt.Sprint(col)], h)
			case r.Key[0] == nil && r.Key[n-1] == nil:
				groups["grand"] = append(groups["grand"], h)
				groups["grandcols"] = append(groups["grandcols"], h)
			case r.Key[n-1] == nil:
				groups["row"+fmt.Sprint(r.Key)] = append(groups["row"+fmt.Sprint(r.Key)], h)
				groups["grand"] = append(groups["grand"], h)
			default:
				groups["col"+fmt.Sprint(r.Key)] = append(groups["col"+fmt.Sprint(r.Key)], h)
				groups["grandcols"] = append(groups["grandcols"], h)
			}
		}
		for rel, flags := range groups {
			hiddenN := 0
			for _, h := range flags {
				if h {
					hiddenN++
				}
			}
			if hiddenN == 1 && !zero[rel] {
				t.Errorf("by %v k=%d: %s relation %s has exactly one hidden member", by, k, m, rel)
			}
		}
	}
}

func statusNames() []string {
	var out []string
	for _, s := range models.Statuses {
		out = append(out, "status_"+string(s))
	}
	return out
}

// TestStatisticsFunctionsPrivileges: only the statistics role may call the
// aggregate functions, and it cannot read the per-person facts behind them.
func TestStatisticsFunctionsPrivileges(t *testing.T) {
	tdb := dbtest.New(t)
	calls := []string{
		"SELECT * FROM statistics.outcomes('{site}', NULL, NULL, NULL, 5, false)",
		"SELECT * FROM statistics.referrals('{site}', NULL, NULL, NULL, 5)",
		"SELECT * FROM statistics.freshness",
		// The assessment outcomes (issue 17).
		"SELECT * FROM statistics.assessment_outcomes('{site}', NULL, NULL, NULL, 5, false)",
		"SELECT * FROM statistics.assessment_items(NULL, NULL, NULL, 5, false)",
	}
	for _, sql := range calls {
		for _, role := range models.DBRoles {
			err := asRole(tdb.Gorm, role, models.Actor{}, sql)
			if role == models.DBStatistics && err != nil {
				t.Errorf("statistics cannot run %s: %v", sql, err)
			}
			if role != models.DBStatistics && !models.IsPermissionDenied(err) {
				t.Errorf("%s may run %s: %v", role, sql, err)
			}
		}
	}
	for _, sql := range []string{
		"SELECT * FROM stats_base.participant_facts", "SELECT * FROM stats_base.referral_facts",
		"SELECT stats_base.small(1, 5)", "REFRESH MATERIALIZED VIEW stats_base.participant_facts",
		"SELECT * FROM prevention.participants", "SELECT * FROM enforcement.referrals",
		"SELECT * FROM stats_base.assessment_facts", "SELECT * FROM stats_base.assessment_cube", "SELECT * FROM stats_base.assessment_item_cube",
		"SELECT * FROM prevention.assessments", "SELECT * FROM prevention.assessment_scores", "SELECT * FROM prevention.assessment_items",
	} {
		if err := asRole(tdb.Gorm, models.DBStatistics, models.Actor{}, sql); !models.IsPermissionDenied(err) {
			t.Errorf("statistics may run %s: %v", sql, err)
		}
	}
	// The database refuses unknown dimensions itself; a k below 3 is 3.
	if err := asRole(tdb.Gorm, models.DBStatistics, models.Actor{}, "SELECT * FROM statistics.outcomes('{first_name_enc}', NULL, NULL, NULL, 5, false)"); err == nil {
		t.Error("outcomes grouped by a column that is no dimension")
	}
	if err := asRole(tdb.Gorm, models.DBStatistics, models.Actor{}, "SELECT * FROM statistics.assessment_outcomes('{participant_id}', NULL, NULL, NULL, 5, false)"); err == nil {
		t.Error("assessment outcomes grouped by a column that is no dimension")
	}
}

// TestOutcomesDatabaseFloor: even called directly with k = 1, the
// database returns no count below 3.
func TestOutcomesDatabaseFloor(t *testing.T) {
	tdb := dbtest.New(t)
	f := fact{site: "ES", entry: time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC), age: 9, gender: "female",
		reason: "other", status: models.StatusActive, evaluation: true}
	insertFacts(t, tdb.Gorm, repeat(2, f))
	err := tdb.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE kurve_statistics").Error; err != nil {
			return err
		}
		var counts []struct{ N *int }
		if err := tx.Raw(`SELECT (measures->>'participants')::int AS n FROM statistics.outcomes('{site}', NULL, NULL, NULL, 1, true)
			UNION ALL SELECT referrals FROM statistics.referrals('{site}', NULL, NULL, NULL, 1)`).Scan(&counts).Error; err != nil {
			return err
		}
		if len(counts) < 4 {
			t.Fatalf("%d rows", len(counts))
		}
		for _, c := range counts {
			if c.N != nil && *c.N > 0 && *c.N < 3 {
				t.Errorf("database returned a count of %d", *c.N)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRefreshOneInstance: while another instance holds the refresh lock,
// a refresh returns at once without doing anything.
func TestRefreshOneInstance(t *testing.T) {
	tdb := dbtest.New(t)
	tx := tdb.Gorm.Begin()
	defer tx.Rollback()
	if err := tx.Exec("SELECT pg_advisory_xact_lock(715202608)").Error; err != nil {
		t.Fatal(err)
	}
	ok, err := models.RefreshStatistics(context.Background(), tdb.Gorm)
	if err != nil || ok {
		t.Fatalf("refresh under another instance's lock: %v %v", ok, err)
	}
	tx.Rollback()
	if ok, err := models.RefreshStatistics(context.Background(), tdb.Gorm); err != nil || !ok {
		t.Fatalf("refresh: %v %v", ok, err)
	}
}

// TestOutcomesMedian: months in program is the median (percentile_disc)
// of the programs that ended after activation, per group and in totals.
func TestOutcomesMedian(t *testing.T) {
	tdb := dbtest.New(t)
	base := fact{site: "ES", entry: time.Date(2024, 2, 3, 0, 0, 0, 0, time.UTC), age: 10, gender: "female",
		reason: "violence", status: models.StatusCompleted, evaluation: true}
	var facts []fact
	for _, m := range []int{13, 2, 9, 5, 12, 3, 8} {
		f := base
		f.months = m
		facts = append(facts, f)
	}
	for _, m := range []int{1, 1, 1, 1, 1} {
		f := base
		f.site, f.months = "DU", m
		facts = append(facts, f)
	}
	running := base
	running.status = models.StatusActive // no end yet: not in the median
	facts = append(facts, repeat(4, running)...)
	insertFacts(t, tdb.Gorm, facts)
	tbl := outcomes(t, tdb.Gorm, models.StatsQuery{By: []string{"site"}, K: 5})
	for key, want := range map[any]float64{"ES": 8, "DU": 1, nil: 2} {
		if got, ok := measure(rowByKey(tbl, key), "months_in_program_median"); !ok || got != want {
			t.Errorf("median at %v: %v %v, want %v", key, got, ok, want)
		}
	}
}
