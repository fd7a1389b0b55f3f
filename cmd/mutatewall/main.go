// Command mutatewall proves the wall's tests by mutation (issue 19, make
// mutate-wall). It makes one mutant of the database per hole a mistake
// could open in the wall:
//
//   - every row-level-security policy made permissive: USING (true), and
//     separately WITH CHECK (true) where the policy has one;
//   - every column grant widened to the whole table;
//   - every crossing and security-definer function with one of its
//     filters taken out (the list below; a definer function without a
//     mutant and without a reason to be exempt fails the run).
//
// For each mutant the wall and role tests (the models package, and with
// -app the app package's tests named by -app-run) run against a template
// with the mutation applied (dbtest's KURVE_TEST_MUTATION). A mutant is
// caught when a test fails; every mutant must be caught. Each mutation is
// first tried in a transaction that is rolled back, so a mutant that does
// not apply is reported as broken, never counted as caught.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"gorm.io/gorm"

	"kurve/migrations"
	"kurve/models"
	"kurve/models/dbtest"
)

// edit replaces old by new in a function's definition. Spaces in old match
// any run of white space, so the definitions' line breaks do not matter.
type edit struct{ old, new string }

// funcMutant takes one filter out of a function.
type funcMutant struct {
	fn    string // schema.name
	what  string
	edits []edit
}

// funcMutants are the holes a crossing or a definer function could have.
var funcMutants = []funcMutant{
	{"crossing.intake_queue", "any role reads the queue", []edit{{"org.current_app_role() = 'coordinator' AND ", ""}}},
	{"crossing.intake_queue", "other sites' referrals", []edit{{" AND r.site_id = org.current_site_id()", ""}}},
	{"crossing.intake_queue", "decided referrals stay", []edit{{"AND NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id)", ""}}},
	{"crossing.intake_queue", "a page after another site's referral", []edit{{" AND a.site_id = org.current_site_id()", ""}}},
	{"crossing.referral_feedback", "without its WHERE", []edit{{"WHERE org.current_app_role() = 'police_liaison' AND r.submitted_by = org.current_user_id()", "WHERE true"}}},
	{"crossing.referral_feedback", "any role reads feedback", []edit{{"WHERE org.current_app_role() = 'police_liaison' AND", "WHERE"}}},
	{"crossing.referral_feedback", "other officers' referrals", []edit{{" AND r.submitted_by = org.current_user_id()", ""}}},
	{"crossing.referral_feedback", "a page after another officer's referral", []edit{{" AND a.submitted_by = org.current_user_id()", ""}}},
	{"crossing.referral_feedback", "feedback without its purpose", []edit{{" AND 'police_feedback' = ANY (c.purposes)", ""}}},
	{"crossing.referral_feedback", "consent of a guardian without custody", []edit{{" AND pg.has_custody", ""}}},
	{"crossing.referral_feedback", "consent in any state", []edit{{" AND c.state = 'given'", ""},
		{"AND (c.withdrawn_on IS NULL OR c.withdrawn_on > org.today())", ""},
		{"AND (c.expires_on IS NULL OR c.expires_on > org.today())", ""}}},
	{"crossing.referral_feedback", "consent given in the future", []edit{{"AND c.given_on <= org.today()", ""}}},
	{"crossing.referral_open", "any role asks", []edit{{"org.current_app_role() = 'police_liaison' AND ", ""}}},
	{"crossing.referral_open", "other officers' referrals", []edit{{" AND r.submitted_by = org.current_user_id()", ""}}},
	{"crossing.referral_open", "decided referrals open", []edit{{"SELECT NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id)", "SELECT true"}}},
	{"crossing.intake_hold", "any role holds a referral", []edit{{"org.current_app_role() = 'coordinator' AND ", ""}}},
	{"crossing.intake_hold", "other sites' referrals held", []edit{{" AND r.site_id = org.current_site_id()", ""}}},
	{"crossing.intake_hold", "a referral read for a decision without its lock", []edit{{"FOR SHARE;", ";"}}},
	// (A trigger function, no definer: mutated all the same, as it is the
	// rule that a decided referral stays as it was.)
	{"enforcement.referral_correction", "a decided referral corrected", []edit{{"IF NOT coalesce(crossing.referral_open(OLD.id), false) THEN", "IF false THEN"}}},
	{"enforcement.referral_correction", "a referral corrected by the police side unchecked", []edit{{"IF current_user = 'kurve_enforcement' THEN", "IF false THEN"}}},
	{"enforcement.referral_correction", "a referral correction keeps its version", []edit{{"NEW.version := OLD.version + 1;", ""}}},
	{"prevention.my_participants", "every case", []edit{{"a.user_id = me AND ", ""}}},
	{"prevention.my_participants", "ended assignments", []edit{{"AND (a.until_on IS NULL OR a.until_on >= d)", ""}}},
	{"prevention.my_participants", "future assignments", []edit{{"a.from_on <= d", "true"}}},
	{"prevention.my_sessions_between", "every user's sessions", []edit{{"ss.user_id = org.current_user_id() AND ", ""}}},
	// (my_cases reads open and later-ending assignments in two branches;
	// a filter is taken out of both.)
	{"prevention.my_cases", "every case", []edit{{"a.user_id = me AND a.kind = p_kind AND a.until_on IS NULL", "a.kind = p_kind AND a.until_on IS NULL"}, {"a.user_id = me AND ", ""}}},
	{"prevention.my_cases", "cases of any kind", []edit{{"a.kind = p_kind AND a.until_on IS NULL", "a.until_on IS NULL"}, {"a.kind = p_kind AND ", ""}}},
	{"prevention.my_cases", "whatever the role", []edit{{" OR org.current_app_role() IS DISTINCT FROM p_kind", ""}}},
	{"prevention.my_cases", "ended assignments", []edit{{"a.until_on >= d AND ", ""}}},
	{"prevention.my_cases", "future assignments", []edit{{"a.until_on IS NULL AND a.from_on <= d", "a.until_on IS NULL"}, {"AND a.from_on <= d", ""}}},
	{"prevention.coordinated_site", "any role coordinates", []edit{{"WHEN org.current_app_role() = 'coordinator'", "WHEN true"}}},
	{"prevention.is_coordinator_of", "any role coordinates", []edit{{"org.current_app_role() = 'coordinator' AND ", ""}}},
	{"prevention.is_coordinator_of", "coordinates every site", []edit{{" AND p_site = org.current_site_id()", ""}}},
	{"prevention.visit_consent_ok", "any case", []edit{{" AND p.id IN (SELECT prevention.my_participants())", ""}}},
	{"prevention.visit_consent_ok", "without the guardians' consent", []edit{{"WHERE pg.participant_id = p.id AND pg.has_custody AND NOT EXISTS (SELECT 1 FROM ok WHERE ok.guardian_id = pg.guardian_id",
		"WHERE false AND NOT EXISTS (SELECT 1 FROM ok WHERE ok.guardian_id = pg.guardian_id"}}},
	{"prevention.visit_consent_ok", "without the child's own consent at 14", []edit{{"(p_day < (SELECT birth_month FROM p) + interval '14 years' OR", "(true OR"}}},
	{"prevention.visit_consent_ok", "without a guardian with custody", []edit{{"AND EXISTS (SELECT 1 FROM prevention.participant_guardians pg, p WHERE pg.participant_id = p.id AND pg.has_custody)", ""}}},
	{"prevention.visit_conflict", "other sites' visits", []edit{{" AND p.site_id = org.current_site_id()", ""}}},
	{"prevention.visit_conflict", "a visit conflicts with itself", []edit{{" AND b.visit_id IS DISTINCT FROM p_except", ""}}},
	{"prevention.book_visit", "cancelled visits keep their time", []edit{{"IF NEW.status <> 'cancelled' THEN", "IF true THEN"}}},
	{"prevention.book_visit", "a moved visit keeps its old time", []edit{{"DELETE FROM prevention.visit_bookings WHERE visit_id = NEW.id;", ""}}},
	{"prevention.withdraw_from_planned_sessions", "any case", []edit{{"IF NOT EXISTS", "IF false AND NOT EXISTS"}}},
	{"prevention.withdraw_from_planned_sessions", "every child", []edit{{" AND sp.participant_id = p_participant", ""}}},
	{"prevention.expire_consents", "withdrawn consents expire too", []edit{{"WHERE state = 'given' AND expires_on <= p_today", "WHERE expires_on <= p_today"}}},
	{"prevention.expire_consents", "a consent ends a day late", []edit{{"expires_on <= p_today", "expires_on < p_today"}}},
	{"prevention.erase_participant", "any role erases", []edit{{"IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN", "IF false THEN"}}},
	{"prevention.erase_participant", "an open case is erased", []edit{{"IF p.status IN ('referred', 'contacted', 'consent_pending', 'active') THEN", "IF false THEN"}}},
	{"prevention.erase_participant", "erased twice", []edit{{"AND erased_at IS NULL FOR UPDATE", "FOR UPDATE"}}},
	{"prevention.erase_participant", "a sibling's family erased", []edit{{"AND NOT EXISTS (SELECT 1 FROM prevention.participants c WHERE c.family_id = f.id AND c.id <> p_id AND c.erased_at IS NULL)", ""}}},
	{"prevention.erase_participant", "a sibling's guardian erased", []edit{{"AND NOT EXISTS (SELECT 1 FROM prevention.participant_guardians o JOIN prevention.participants c ON c.id = o.participant_id WHERE o.guardian_id = g.id AND o.participant_id <> p_id AND c.erased_at IS NULL)", ""}}},
	{"prevention.retention_due", "any role lists cases due", []edit{{"org.current_app_role() = 'dpo' AND ", ""}}},
	{"prevention.retention_due", "open cases due", []edit{{"AND p.status IN ('completed', 'declined', 'ended_early', 'withdrawn')", ""}}},
	{"prevention.retention_due", "every ended case due", []edit{{"AND coalesce(p.ended_on, p.status_changed_on) < p_ended_before", ""}}},
	{"enforcement.retire_declined_referrals", "any role retires", []edit{{"IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN", "IF false THEN"}}},
	{"enforcement.retire_declined_referrals", "recently declined retired", []edit{{"AND d.decided_at < p_decided_before", ""}}},
	{"enforcement.retire_declined_referrals", "accepted referrals retired", []edit{{"AND d.decision = 'declined'", ""}}},
	{"statistics.outcomes", "k below 3", []edit{{"greatest(coalesce(p_k, 5), 3)", "coalesce(p_k, 5)"}}},
	{"statistics.outcomes", "without evaluation consent", []edit{{"($1 OR f.evaluation)", "($1 OR true)"}}},
	{"statistics.outcomes", "measures of small groups shown", []edit{{"CASE WHEN a.participants < %s THEN NULL ELSE ", "CASE WHEN false THEN NULL ELSE "}}},
	// (statistics.referrals passes k only to stats_base.small, which
	// floors it itself: its own floor could not be told apart.)
	{"statistics.referrals", "referral counts not suppressed", []edit{{"stats_base.small(coalesce(sum(f.referrals), 0)::bigint, %s)",
		"(coalesce(sum(f.referrals), 0)::bigint + 0 * %s)"}}},
	{"stats_base.small", "small counts shown", []edit{{"n > 0 AND n < greatest(k, 3)", "false"}}},
	{"stats_base.small", "k below 3", []edit{{"greatest(k, 3)", "k"}}},
	// Crossing 3 (issue 17, migration 00031): counts for the evaluators
	// only, of children with evaluation consent, none below k (never below
	// 3), nor the complement of one; and the per-child rules behind it.
	{"crossing.police_outcomes", "any application role gets counts", []edit{{"IF org.current_app_role() IS DISTINCT FROM 'evaluator' THEN", "IF false THEN"}}},
	{"crossing.police_outcomes", "small cells shown", []edit{{"small constant text := '(%1$s > 0 AND %1$s < %2$s)';", "small constant text := 'false';"}}},
	{"crossing.police_outcomes", "k below 3", []edit{{"greatest(coalesce(p_k, 5), 3)", "coalesce(p_k, 5)"}}},
	{"crossing.police_outcomes", "contacts shown beside a small number without one", []edit{{", format(small, n || ' - ' || c, k), c);", ", 'false', c);"}}},
	{"stats_base.police_outcome_rows", "without evaluation consent", []edit{{"WHERE f.evaluation AND", "WHERE"}}},
	{"stats_base.police_outcome_rows", "contacts before program start counted", []edit{{" AND pc.occurred_on >= p.activated_on", ""}}},
	{"stats_base.police_outcome_rows", "another child's contacts counted", []edit{{"WHERE d.participant_id = p.id AND", "WHERE"}}},
	{"stats_base.police_outcome_rows", "programs still running counted", []edit{{" AND f.status IN ('completed', 'ended_early', 'withdrawn', 'declined')", ""}}},
	{"stats_base.police_outcome_rows", "a withdrawal not counted as an early end", []edit{{"'withdrawn', ", ""}}},
	{"stats_base.police_outcome_rows", "completed programs counted as ended early", []edit{{"CASE WHEN f.status = 'completed' THEN 'completed' ELSE 'ended_early' END", "'ended_early'"}}},
	{"stats_base.police_outcome_rows", "the 6-month window counted before it has elapsed", []edit{{"(p.activated_on + interval '6 months')::date <= t.today", "true"}}},
	{"stats_base.police_outcome_rows", "the 12-month window counted before it has elapsed", []edit{{"(p.activated_on + interval '12 months')::date <= t.today", "true"}}},
	{"stats_base.police_outcome_rows", "the 24-month window counted before it has elapsed", []edit{{"(p.activated_on + interval '24 months')::date <= t.today", "true"}}},
	{"stats_base.police_outcome_rows", "contacts after the 12-month window counted", []edit{{"coalesce(c.first_on < (p.activated_on + interval '12 months')::date, false)", "c.first_on IS NOT NULL"}}},
	{"enforcement.police_contact_dates", "a police contact in the future stored", []edit{{"IF NEW.occurred_on > org.today() THEN", "IF false THEN"}}},
	{"enforcement.police_contact_dates", "a police contact before its referral stored", []edit{{"AND NEW.occurred_on < (r.created_at AT TIME ZONE 'Europe/Berlin')::date", "AND false"}}},
	{"audit.case_numbers", "any role resolves case numbers", []edit{{"org.current_app_role() = 'dpo' AND", ""}}},
	{"audit.case_numbers", "every case number for any id", []edit{{"p.id = ANY (p_ids)", "p_ids IS NOT NULL"}}},
	{"audit.case_numbers", "every participant for any case number", []edit{{"p.case_number = ANY (p_case_numbers)", "p_case_numbers IS NOT NULL"}}},
	{"prevention.export_participant", "any role exports", []edit{{"IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN", "IF false THEN"}}},
	{"prevention.export_participant", "an erased participant exported", []edit{{"WHERE id = p_id AND erased_at IS NULL", "WHERE id = p_id"}}},
	{"prevention.export_participant", "group session notes handed out", []edit{{"'notes_enc', CASE WHEN s.grp THEN NULL ELSE s.notes_enc END", "'notes_enc', s.notes_enc"}}},
	{"prevention.export_participant", "group session place handed out", []edit{{"'location_enc', CASE WHEN s.grp THEN NULL ELSE s.location_enc END", "'location_enc', s.location_enc"}}},
	{"prevention.export_participant", "another case's visits", []edit{{"FROM prevention.visits v WHERE v.participant_id = p_id", "FROM prevention.visits v WHERE true"}}},
	{"prevention.export_participant", "another case's audit entries", []edit{{"WHERE e.object_id = p_id::text", "WHERE true"}}},
	{"prevention.export_participant", "another case's sessions", []edit{{"WHERE sp.participant_id = p_id), '[]'::jsonb)", "), '[]'::jsonb)"}}},
	{"org.open_assignments_of", "any role counts a caseload", []edit{{"AND org.current_app_role() = 'admin'", ""}}},
	{"org.open_assignments_of", "ended assignments counted", []edit{{"AND (a.until_on IS NULL OR a.until_on >= org.today())", ""}}},
	{"org.end_assignments_of", "any role ends assignments", []edit{{"IF org.current_app_role() IS DISTINCT FROM 'admin' THEN", "IF false THEN"}}},
	{"org.end_assignments_of", "another user's assignments end", []edit{{"WHERE user_id = p_user AND from_on < org.today()", "WHERE from_on < org.today()"}}},
	{"org.end_assignments_of", "an assignment ends a day late", []edit{{"SET until_on = org.today() - 1", "SET until_on = org.today()"}}},
	{"org.users_keep_assignments", "deactivated with open assignments", []edit{{"IF n > 0 THEN", "IF false THEN"}}},
	{"org.users_end_access", "sessions survive", []edit{{"DELETE FROM auth.sessions WHERE user_id = NEW.id;", ""}}},
	{"org.users_end_access", "tokens survive", []edit{{"DELETE FROM auth.api_tokens WHERE user_id = NEW.id;", ""}}},
	{"org.users_end_access", "calendar feeds survive", []edit{{"DELETE FROM auth.calendar_feeds WHERE user_id = NEW.id;", ""}}},
	{"org.users_end_access", "everybody's sessions end", []edit{{"DELETE FROM auth.sessions WHERE user_id = NEW.id;", "DELETE FROM auth.sessions;"}}},
	{"org.users_end_access", "a role change keeps access", []edit{{" OR OLD.role <> NEW.role", ""}}},
	{"org.users_end_access", "a site change keeps access", []edit{{" OR OLD.site_id <> NEW.site_id THEN", " THEN"}}},
	{"prevention.search_token_site", "a token keeps the site its writer gives", []edit{{"NEW.site_id := CASE", "NEW.site_id := coalesce(NEW.site_id, CASE"},
		{"WHERE f.id = NEW.family_id) END;", "WHERE f.id = NEW.family_id) END);"}}},
	{"prevention.drop_search_tokens", "a child's tokens outlive its name", []edit{{"WHEN 'participants' THEN DELETE FROM prevention.search_tokens WHERE participant_id = OLD.id;", "WHEN 'participants' THEN NULL;"}}},
	{"prevention.drop_search_tokens", "a guardian's tokens outlive the name", []edit{{"WHEN 'guardians' THEN DELETE FROM prevention.search_tokens WHERE guardian_id = OLD.id;", "WHEN 'guardians' THEN NULL;"}}},
	{"prevention.drop_search_tokens", "a family's tokens outlive the phone", []edit{{"ELSE DELETE FROM prevention.search_tokens WHERE family_id = OLD.id;", "ELSE NULL;"}}},
	{"prevention.drop_search_tokens", "every child's tokens dropped", []edit{{"WHERE participant_id = OLD.id;", "WHERE participant_id IS NOT NULL;"}}},
	// Assessments (issue 17, migration 00030).
	{"prevention.assessment_item_meaning_kept", "a scored item's meaning changes", []edit{{"IF EXISTS (SELECT 1 FROM prevention.assessment_scores s WHERE s.item_id = OLD.id) THEN", "IF false THEN"}}},
	{"prevention.assessment_item_meaning_kept", "a scored item's anchors change", []edit{{" OR NEW.anchors IS DISTINCT FROM OLD.anchors", ""}}},
	{"prevention.assessment_item_meaning_kept", "a scored item's labels change", []edit{{", NEW.name_de, NEW.name_en, NEW.name_tr, NEW.name_ar)", ")"},
		{", OLD.name_de, OLD.name_en, OLD.name_tr, OLD.name_ar)", ")"}}},
	{"prevention.assessment_item_meaning_kept", "a scored item's kind changes", []edit{{"(NEW.kind, ", "("}, {"(OLD.kind, ", "("}}},
	{"prevention.export_participant", "another case's assessments", []edit{{"FROM prevention.assessments asm WHERE asm.participant_id = p_id", "FROM prevention.assessments asm WHERE true"}}},
	{"statistics.assessment_outcomes", "k below 3", []edit{{"greatest(coalesce(p_k, 5), 3)", "coalesce(p_k, 5)"}}},
	{"statistics.assessment_outcomes", "without evaluation consent", []edit{{"($1 OR f.evaluation)", "($1 OR true)"}}},
	{"statistics.assessment_outcomes", "the change of small groups shown", []edit{{"CASE WHEN a.assessed < %s THEN NULL ELSE", "CASE WHEN false THEN NULL ELSE"}}},
	{"statistics.assessment_items", "k below 3", []edit{{"greatest(coalesce(p_k, 5), 3)", "coalesce(p_k, 5)"}}},
	{"statistics.assessment_items", "without evaluation consent", []edit{{"(p.relaxed OR o.evaluation)", "(p.relaxed OR true)"},
		{"(p.relaxed OR c.evaluation)", "(p.relaxed OR true)"}}},
	{"statistics.assessment_items", "measures of small groups shown", []edit{{"x.n < p.k AS hide", "false AS hide"}}},
	{"auth.end_sessions_of", "any role ends sessions", []edit{{"IF org.current_app_role() IS DISTINCT FROM 'admin' THEN", "IF false THEN"}}},
	{"auth.end_sessions_of", "everybody's sessions end", []edit{{"DELETE FROM auth.sessions WHERE user_id = p_user;", "DELETE FROM auth.sessions;"}}},
}

// grantMutants open a crossing to more database roles than its grant
// names; the function's own check of the application role would still
// answer them nothing, so the role tests must see the refusal itself.
var grantMutants = []mutant{
	{"grant crossing.police_outcomes: any role executes",
		"GRANT EXECUTE ON FUNCTION crossing.police_outcomes(text[], text[], integer[], integer[], integer) TO PUBLIC"},
}

// exempt are the definer functions that are not a crossing of the wall,
// with where they are tested instead.
var exempt = map[string]string{
	"audit.seal":                         "the audit chain; kurve audit verify and models/audit_test.go",
	"org.data_key_ids":                   "key ids of the newest values, no value and no filter to take out (cmd/kurve TestBackupRestoreDrill)",
	"statistics.refresh_views":           "refreshes the statistics views as their owner; no filter to take out (models/stats_test.go)",
	"statistics.refresh_police_outcomes": "refreshes crossing 3's counts as their owner; no filter to take out (models/crossing_police_test.go)",
	// The version of each site's case facts (migration 00032): counters
	// for the start pages' cache, no row of a case read or returned.
	"prevention.bump_case_facts":     "raises a site's version counter; no filter to take out (models/casefacts_version_test.go)",
	"prevention.case_facts_inserted": "passes a statement's sites to bump_case_facts (models/casefacts_version_test.go)",
	"prevention.case_facts_updated":  "passes a statement's sites to bump_case_facts (models/casefacts_version_test.go)",
	"prevention.case_facts_deleted":  "passes a statement's sites to bump_case_facts (models/casefacts_version_test.go)",
}

// equivalent are the mutants no test can tell from the real database,
// with why; they are reported, not counted as missed.
var equivalent = map[string]string{}

// wallTests are the wall's and the roles' tests of the models package,
// run first; a mutant they miss meets the whole package next.
const wallTests = "^Test(EveryPolicy|ColumnGrants|Wall|Assessment|RowPolicies|MediatorColumns|Crossing|IdempotencyKeysOwnOnly|SwitchRole|ReferralLifecycle|ReferralCorrection|FeedbackRule|SmallCountFloor|Outcomes|VisitConsentRule|VisitOverlap|Visits$|ConsentExpiry|Erase|Retention|Export|AccessEnds|OpenAssignments|RoleChangeToPolice|AdminFunctions|TOTPReset|Search$|ReferralMatches|PoliceContact)"

// schemas are Kurve's own.
var schemas = []string{"org", "auth", "audit", "prevention", "enforcement", "statistics", "stats_base", "crossing"}

type mutant struct {
	name string
	sql  string
}

type result struct {
	mutant
	caught bool
	by     string // the first failing test
	broken error  // the mutation did not apply
	took   time.Duration
}

func main() {
	only := flag.String("only", "", "run only the mutants whose name matches this regexp")
	list := flag.Bool("list", false, "list the mutants and stop")
	jobs := flag.Int("j", 2, "mutants tested at once")
	withApp := flag.Bool("app", false, "also run the app package's tests named by -app-run")
	appRun := flag.String("app-run", "Police|Wall|Mediator|Crossing|Referral", "the app tests run with -app")
	flag.Parse()
	dbtest.Configure(os.Getenv("KURVE_TEST_DATABASE_URL"), "")
	if err := run(*only, *list, *jobs, *withApp, *appRun); err != nil {
		fmt.Fprintln(os.Stderr, "mutate-wall:", err)
		os.Exit(1)
	}
}

func run(only string, list bool, jobs int, withApp bool, appRun string) error {
	// Interrupted, the running tests stop and their templates are dropped.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := dbtest.DropMutants(ctx); err != nil {
		return err
	}
	scratch, drop, err := scratchDB(ctx)
	if err != nil {
		return err
	}
	defer drop()
	mutants, err := buildMutants(scratch)
	if err != nil {
		return err
	}
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			return err
		}
		mutants = slices.DeleteFunc(mutants, func(m mutant) bool { return !re.MatchString(m.name) })
	}
	if list {
		for _, m := range mutants {
			fmt.Printf("%s\n\t%s\n", m.name, firstLine(m.sql))
		}
		return nil
	}
	dir, err := os.MkdirTemp("", "mutatewall")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	models := filepath.Join(dir, "models.test")
	suites := []suite{{pkg: "./models", bin: models, run: wallTests}, {pkg: "./models", bin: models}}
	if withApp {
		suites = append(suites, suite{pkg: "./app", bin: filepath.Join(dir, "app.test"), run: appRun})
	}
	built := map[string]bool{}
	for _, s := range suites {
		if built[s.bin] {
			continue
		}
		built[s.bin] = true
		if out, err := exec.Command("go", "test", "-c", "-o", s.bin, s.pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", s.pkg, err, out)
		}
	}
	fmt.Printf("%d mutants, %d at once\n", len(mutants), jobs)
	start := time.Now()
	results := make([]result, len(mutants))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(jobs, 1))
	for i, m := range mutants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = test(ctx, scratch, m, suites)
			r := results[i]
			fmt.Printf("%-8s %-70s %6.0fs %s\n", r.verdict(), r.name, r.took.Seconds(), r.by)
		}()
	}
	wg.Wait()
	var missed, broken, equiv int
	for _, r := range results {
		switch {
		case r.broken != nil:
			broken++
			fmt.Printf("BROKEN %s: %v\n", r.name, r.broken)
		case !r.caught && equivalent[r.name] != "":
			equiv++
			fmt.Printf("equivalent %s: %s\n", r.name, equivalent[r.name])
		case !r.caught:
			missed++
			fmt.Printf("MISSED %s\n\t%s\n", r.name, r.sql)
		}
	}
	fmt.Printf("%d mutants: %d caught, %d missed, %d equivalent, %d broken, in %s\n", len(results), len(results)-missed-broken-equiv,
		missed, equiv, broken, time.Since(start).Round(time.Second))
	if missed+broken > 0 {
		return errors.New("not every mutant was caught")
	}
	return nil
}

func (r result) verdict() string {
	switch {
	case r.broken != nil:
		return "BROKEN"
	case r.caught:
		return "caught"
	case equivalent[r.name] != "":
		return "equiv"
	}
	return "MISSED"
}

type suite struct{ pkg, bin, run string }

var failRE = regexp.MustCompile(`--- FAIL: (\S+)`)

// test runs the suites against the mutant until one fails.
func test(ctx context.Context, scratch *gorm.DB, m mutant, suites []suite) result {
	start := time.Now()
	r := result{mutant: m}
	// A mutation that does not apply would fail every test: never "caught".
	errRollback := errors.New("rollback")
	if err := scratch.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(m.sql).Error; err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		r.broken = err
		return r
	}
	defer func() {
		if err := dbtest.DropMutant(context.Background(), m.sql); err != nil {
			fmt.Fprintf(os.Stderr, "drop mutant template of %s: %v\n", m.name, err)
		}
	}()
	for _, s := range suites {
		// TestPolicyRegistry looks at the clauses themselves, so it would
		// "catch" every policy mutant without testing what a clause does.
		args := []string{"-test.count=1", "-test.failfast", "-test.timeout=15m", "-test.skip=^TestPolicyRegistry$"}
		if s.run != "" {
			args = append(args, "-test.run="+s.run)
		}
		cmd := exec.CommandContext(ctx, s.bin, args...)
		cmd.Dir = s.pkg
		cmd.Env = append(os.Environ(), "KURVE_TEST_MUTATION="+m.sql)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			r.caught = true
			if f := failRE.FindStringSubmatch(out.String()); f != nil {
				r.by = s.pkg + " " + f[1]
			} else {
				r.by = s.pkg + " " + lastLine(out.String())
			}
			break
		}
	}
	r.took = time.Since(start)
	return r
}

// scratchDB creates a migrated database to read the policies, grants and
// functions from and to try each mutation in.
func scratchDB(ctx context.Context) (*gorm.DB, func(), error) {
	admin, err := models.Open(dbtest.AdminURL())
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "kurve_mutatewall_" + hex.EncodeToString(b)
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		models.Close(admin)
		return nil, nil, err
	}
	drop := func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		models.Close(admin)
	}
	db, err := models.Open(dbtest.URLFor(name))
	if err == nil {
		_, err = models.Migrate(ctx, db, migrations.FS)
	}
	if err != nil {
		drop()
		return nil, nil, err
	}
	return db, func() { models.Close(db); drop() }, nil
}

func buildMutants(db *gorm.DB) ([]mutant, error) {
	var ms []mutant
	// Policies.
	// A clause that is true already (permissive by design, each one named
	// with its reason in models/policy_test.go) has no mutant.
	var policies []struct {
		Schemaname, Tablename, Policyname string
		Using, Check                      bool
	}
	if err := db.Raw(`SELECT schemaname, tablename, policyname, coalesce(qual <> 'true', false) AS using,
		coalesce(with_check <> 'true', false) AS check FROM pg_policies ORDER BY 1, 2, 3`).Scan(&policies).Error; err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		return nil, errors.New("no policies found")
	}
	for _, p := range policies {
		on := fmt.Sprintf("%s ON %s.%s", p.Policyname, p.Schemaname, p.Tablename)
		if p.Using {
			ms = append(ms, mutant{"policy " + on + " USING (true)", "ALTER POLICY " + on + " USING (true)"})
		}
		if p.Check {
			ms = append(ms, mutant{"policy " + on + " WITH CHECK (true)", "ALTER POLICY " + on + " WITH CHECK (true)"})
		}
	}
	// Column grants, widened to the table.
	var grants []struct{ Rel, Priv, Role string }
	if err := db.Raw(`SELECT DISTINCT format('%I.%I', n.nspname, c.relname) AS rel, a.privilege_type AS priv, r.rolname AS role
		FROM pg_attribute at JOIN pg_class c ON c.oid = at.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL aclexplode(at.attacl) a JOIN pg_roles r ON r.oid = a.grantee
		WHERE at.attacl IS NOT NULL AND n.nspname = ANY (?) AND NOT has_table_privilege(r.oid, c.oid, a.privilege_type)
		ORDER BY 1, 2, 3`, textArray(schemas)).Scan(&grants).Error; err != nil {
		return nil, err
	}
	if len(grants) == 0 {
		return nil, errors.New("no column grants found")
	}
	for _, g := range grants {
		ms = append(ms, mutant{fmt.Sprintf("grant %s on all of %s to %s", g.Priv, g.Rel, g.Role),
			fmt.Sprintf("GRANT %s ON %s TO %s", g.Priv, g.Rel, g.Role)})
	}
	// Functions.
	var definers []string
	if err := db.Raw(`SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE p.prosecdef AND n.nspname = ANY (?) ORDER BY 1`, textArray(schemas)).Scan(&definers).Error; err != nil {
		return nil, err
	}
	covered := map[string]bool{}
	for _, fm := range funcMutants {
		covered[fm.fn] = true
		var def string
		if err := db.Raw("SELECT pg_get_functiondef(?::regproc)", fm.fn).Scan(&def).Error; err != nil {
			return nil, fmt.Errorf("%s: %w", fm.fn, err)
		}
		mutated := def
		for _, e := range fm.edits {
			re := regexp.MustCompile(strings.Join(strings.Fields(regexp.QuoteMeta(e.old)), `\s+`))
			if n := len(re.FindAllStringIndex(mutated, -1)); n != 1 {
				return nil, fmt.Errorf("%s (%s): %q occurs %d times in the definition; mend the mutant", fm.fn, fm.what, e.old, n)
			}
			mutated = re.ReplaceAllLiteralString(mutated, e.new)
		}
		ms = append(ms, mutant{"function " + fm.fn + ": " + fm.what, mutated})
	}
	ms = append(ms, grantMutants...)
	var uncovered []string
	for _, f := range definers {
		if !covered[f] && exempt[f] == "" {
			uncovered = append(uncovered, f)
		}
	}
	if len(uncovered) > 0 {
		sort.Strings(uncovered)
		return nil, fmt.Errorf("security-definer functions without a mutant: %v (add one to funcMutants, or a reason to exempt)", uncovered)
	}
	return ms, nil
}

func textArray(v []string) string { return "{" + strings.Join(v, ",") + "}" }

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
