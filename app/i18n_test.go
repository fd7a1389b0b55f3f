package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"kurve/app"
	"kurve/models"
)

var pluralCategories = []string{"zero", "one", "two", "few", "many", "other"}

// message is one catalogue entry: a plain string or plural forms.
type message map[string]string

func loadCatalogue(t *testing.T, lang string) map[string]message {
	t.Helper()
	var raw map[string]any
	if _, err := toml.DecodeFile(filepath.Join("..", "locales", lang+".toml"), &raw); err != nil {
		t.Fatalf("%s: %v", lang, err)
	}
	out := map[string]message{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			id := strings.TrimPrefix(prefix+"."+k, ".")
			switch v := v.(type) {
			case string:
				out[id] = message{"": v}
			case map[string]any:
				isPlural := len(v) > 0
				for pk := range v {
					if !contains(pluralCategories, pk) {
						isPlural = false
					}
				}
				if !isPlural {
					walk(id, v)
					continue
				}
				msg := message{}
				for pk, pv := range v {
					s, _ := pv.(string)
					msg[pk] = s
				}
				out[id] = msg
			default:
				t.Errorf("%s: %s has unexpected type %T", lang, id, v)
			}
		}
	}
	walk("", raw)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cldrCategories derives the cardinal plural categories of a language from
// CLDR's rules in golang.org/x/text, over integers and decimals.
func cldrCategories(lang string) []string {
	tag := language.MustParse(lang)
	seen := map[plural.Form]bool{}
	for i := 0; i <= 1000; i++ {
		seen[plural.Cardinal.MatchPlural(tag, i, 0, 0, 0, 0)] = true
		seen[plural.Cardinal.MatchPlural(tag, i, 1, 1, 5, 5)] = true
	}
	names := map[plural.Form]string{plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many", plural.Other: "other"}
	var out []string
	for f := range seen {
		out = append(out, names[f])
	}
	sort.Strings(out)
	return out
}

// sameAsGerman lists translations that are rightly the German word.
var sameAsGerman = map[string]bool{"en:field.name": true, "en:field.status": true, "en:field.version": true,
	"en:purpose.evaluation": true, "en:language.so": true, "en:language.ti": true,
	// Placeholders only, or a word all these languages share.
	"en:calendar.summary": true, "tr:calendar.summary": true, "ar:calendar.summary": true, "en:calendar.description": true,
	// A staff member in the audit log's choice: name, role and site.
	"en:audit.actor_option": true, "tr:audit.actor_option": true,
	// The menu button: "Menü" is the Turkish word as well.
	"tr:layout.menu": true}

var placeholderRE = regexp.MustCompile(`\{\{\s*\.([A-Za-z]+)\s*\}\}`)

func placeholders(m message) map[string]bool {
	out := map[string]bool{}
	for _, s := range m {
		for _, p := range placeholderRE.FindAllStringSubmatch(s, -1) {
			out[p[1]] = true
		}
	}
	return out
}

// TestCatalogueComplete fails on any key missing, extra or empty in a
// locale, on a plural message without exactly the CLDR categories of its
// language, and on placeholders that differ from the German source.
func TestCatalogueComplete(t *testing.T) {
	source := loadCatalogue(t, "de")
	if len(source) < 50 {
		t.Fatalf("German catalogue has only %d messages", len(source))
	}
	if got := cldrCategories("ar"); len(got) != 6 {
		t.Fatalf("CLDR data for Arabic gives %v, want six categories", got)
	}
	for _, lang := range models.Languages {
		cat := loadCatalogue(t, lang)
		want := cldrCategories(lang)
		for id, src := range source {
			msg, ok := cat[id]
			if !ok {
				t.Errorf("%s: missing %s", lang, id)
				continue
			}
			_, srcPlain := src[""]
			_, plain := msg[""]
			if srcPlain != plain {
				t.Errorf("%s: %s is plural in one locale and plain in the other", lang, id)
				continue
			}
			for form, s := range msg {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s (%s) is empty", lang, id, form)
				}
			}
			if !plain {
				var forms []string
				for f := range msg {
					forms = append(forms, f)
				}
				sort.Strings(forms)
				if fmt.Sprint(forms) != fmt.Sprint(want) {
					t.Errorf("%s: plural %s has forms %v, CLDR needs %v", lang, id, forms, want)
				}
			}
			srcPH, gotPH := placeholders(src), placeholders(msg)
			for p := range gotPH {
				if !srcPH[p] && p != "Count" {
					t.Errorf("%s: %s uses {{.%s}}, which the source does not have", lang, id, p)
				}
			}
			for p := range srcPH {
				if !gotPH[p] && p != "Count" {
					t.Errorf("%s: %s drops {{.%s}}", lang, id, p)
				}
			}
			if lang != "de" && plain && msg[""] == src[""] && !sameAsGerman[lang+":"+id] {
				t.Errorf("%s: %s is the German text", lang, id)
			}
		}
		for id := range cat {
			if _, ok := source[id]; !ok {
				t.Errorf("%s: %s is not in the German source", lang, id)
			}
		}
	}
}

var (
	templateIDRE = regexp.MustCompile(`\.L\.[TN] "([^"]+)"`)
	printfIDRE   = regexp.MustCompile(`printf "([a-z_.]+)%s"`)
	goIDRE       = regexp.MustCompile(`"((?:error|validation|problem\.title|field|login|profile|home|nav|layout|role|totp|participant|caseload|family|guardian|consent|assignment|status|purpose|gender|relationship|mode|end_reason|language|assignment_kind|consent_state|flash|calendar|visit_purpose|visit_status|referral|intake|feedback|reason|decline_reason|dashboard|session|goal|review|program|closing|measure|visit|agenda|mediator|stats|assessment)\.[a-z_.0-9]+)"`)
	dictIDRE     = regexp.MustCompile(`"Submit" "([a-z_.]+)"`)
	dictNameRE   = regexp.MustCompile(`"Name" "([a-z_]+)"`)
	goFieldRE    = regexp.MustCompile(`\.Add\("([a-z_]+)", "([a-z_.]+)"`)
)

// TestCatalogueCoversCode fails when a template or the Go code uses a
// message ID that the catalogue does not define.
func TestCatalogueCoversCode(t *testing.T) {
	source := loadCatalogue(t, "de")
	need := map[string]string{}
	files, _ := filepath.Glob("../views/templates/*.html")
	goFiles, _ := filepath.Glob("../app/*.go")
	modelFiles, _ := filepath.Glob("../models/*.go")
	for _, f := range append(append(files, goFiles...), modelFiles...) {
		// Audit action names look like message IDs but are not.
		if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "models/audit.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, m := range templateIDRE.FindAllStringSubmatch(s, -1) {
			need[m[1]] = f
		}
		for _, m := range dictIDRE.FindAllStringSubmatch(s, -1) {
			need[m[1]] = f
		}
		for _, m := range printfIDRE.FindAllStringSubmatch(s, -1) {
			if values, ok := dynamicIDs()[m[1]]; ok {
				for _, v := range values {
					need[m[1]+v] = f + " (" + m[0] + ")"
				}
				continue
			}
			switch m[1] {
			case "field.":
				// Partials get the field name as "Name" in a dict.
				for _, tf := range files {
					b, _ := os.ReadFile(tf)
					for _, n := range dictNameRE.FindAllStringSubmatch(string(b), -1) {
						need["field."+n[1]] = tf
					}
				}
			default:
				t.Errorf("%s builds message IDs from %q; teach this test which values it takes", f, m[0])
			}
		}
		if strings.HasSuffix(f, ".go") {
			for _, m := range goIDRE.FindAllStringSubmatch(s, -1) {
				if !strings.HasSuffix(m[1], ".") && !strings.HasSuffix(m[1], ".html") {
					need[m[1]] = f
				}
			}
			for _, m := range goFieldRE.FindAllStringSubmatch(s, -1) {
				need["field."+m[1]] = f
				need[m[2]] = f
			}
		}
	}
	// IDs built at run time from fixed lists.
	for _, status := range []string{"400", "401", "403", "404", "405", "409", "413", "415", "422", "429", "500", "503"} {
		need["problem.title."+status] = "app/errors.go"
	}
	for _, tag := range []string{"required", "email", "min", "max", "oneof", "len", "uuid", "datetime", "invalid"} {
		need["validation."+tag] = "app/validate.go"
	}
	if len(need) < 40 {
		t.Fatalf("found only %d message IDs in code; is the scan broken?", len(need))
	}
	for id, where := range need {
		if _, ok := source[id]; !ok {
			t.Errorf("%s uses %s, which no locale defines", where, id)
		}
	}
}

// dynamicIDs are the message ID prefixes that templates complete with a
// value of a fixed list (printf "status.%s" .Status), with those lists.
func dynamicIDs() map[string][]string {
	str := func(xs ...string) []string { return xs }
	out := map[string][]string{
		"gender.":          models.Genders,
		"relationship.":    models.Relationships,
		"mode.":            models.LanguageModes,
		"end_reason.":      models.EndReasons,
		"language.":        models.FamilyLanguageCodes,
		"assignment_kind.": str(models.AssignSocialWorker, models.AssignMediator),
		"progress.":        models.GoalProgress,
		"visit_purpose.":   models.VisitPurposes,
		"visit_status.":    models.VisitStatuses,
		"outcome.":         models.GoalOutcomes,
		"handover.":        models.Handovers,
		"attendance.":      str(string(models.Attended), string(models.Excused), string(models.Absent)),
		"session_status.":  str(models.SessionPlanned, models.SessionHeld, models.SessionCancelled),
		"feedback.":        str(models.FeedbackReceived, models.FeedbackInProgram, models.FeedbackProgramEnded),
		"reason.":          models.ReasonCategories,
		"decline_reason.":  models.DeclineReasons,
		"erase_reason.":    models.EraseReasons,
		"intake.kind.":     str(models.IntakeNewCase, models.IntakeSibling, models.IntakeReReferral),
		"intake.match.":    str(models.MatchBirthDateAndName, models.MatchSound, models.MatchGuardianName, models.MatchPhone),
	}
	// The confirmation page of a case's end says what each end means.
	for _, s := range models.Confirmed {
		out["status_confirm.what_"] = append(out["status_confirm.what_"], string(s))
	}
	// The caseload's attention filters (app.caseFilters).
	out["caseload.attention."] = str("review_overdue", "consent_missing", "consent_expiring", "ending_soon", "no_baseline", "needs_worker")
	// The dashboard's short weekday names (app.weekdayIDs).
	out["dashboard.weekday."] = str("mon", "tue", "wed", "thu", "fri", "sat", "sun")
	// The agenda's and the visit list's full weekday names (app.weekdayIDs).
	out["agenda.weekday."] = str("mon", "tue", "wed", "thu", "fri", "sat", "sun")
	for _, r := range models.Roles {
		out["role."] = append(out["role."], string(r))
		out["home.role_intro."] = append(out["home.role_intro."], string(r))
	}
	for _, st := range models.Statuses {
		out["status."] = append(out["status."], string(st))
	}
	// The statistics dashboard: measures, dimensions and their values.
	out["stats.measure."] = models.OutcomeMeasures
	out["stats.dimension."] = models.StatsDimensions
	for _, band := range models.AgeBands {
		out["stats.age."] = append(out["stats.age."], strings.NewReplacer("-", "_", "+", "_plus").Replace(band))
	}
	out["stats.interpreter."] = str("true", "false")
	out["stats.form."] = str("by1", "by2", "by3")
	// Crossing 3 on the dashboard (app.statsPoliceSection): windows and
	// program outcomes.
	out["stats.police.window."] = models.PoliceWindows
	out["stats.police.outcome."] = append(str("all"), models.PoliceOutcomes...)
	for _, p := range models.Purposes {
		out["purpose."] = append(out["purpose."], string(p))
	}
	// Assessments (issue 17): item kinds, occasions, the course's trend.
	out["assessment.kind."] = models.ItemKinds
	out["assessment.kind_hint."] = models.ItemKinds
	out["assessment.occasion."] = models.Occasions
	out["assessment.trend."] = str("better", "same", "worse")
	// The open tasks in the summary of the case page.
	for _, task := range models.Tasks {
		out["case.task."] = append(out["case.task."], string(task))
	}
	for _, cs := range []models.ConsentState{models.ConsentRequested, models.ConsentGiven, models.ConsentRefused, models.ConsentWithdrawn, models.ConsentExpired} {
		out["consent_state."] = append(out["consent_state."], string(cs))
	}
	return out
}

// TestConcurrentRenderKeepsLanguages renders pages in all languages at once:
// each response must be in its own request's language.
func TestConcurrentRenderKeepsLanguages(t *testing.T) {
	h := newHarness(t, app.Config{})
	heading := map[string]string{}
	for _, lang := range models.Languages {
		d := doc(t, h.web("GET", "/login", nil, nil, "Accept-Language", lang))
		heading[lang] = d.Find("h1").Text()
	}
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := 0; i < 40; i++ {
		lang := models.Languages[i%len(models.Languages)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No t.Fatal here (not the test's goroutine): errors go to errs.
			req := httptest.NewRequest("GET", "/login", nil)
			req.Header.Set("Accept-Language", lang)
			resp, err := h.srv.App().Test(req, 30_000)
			if err != nil {
				errs <- err.Error()
				return
			}
			d, err := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			if err != nil {
				errs <- err.Error()
				return
			}
			if got, _ := d.Find("html").Attr("lang"); got != lang || d.Find("h1").Text() != heading[lang] {
				errs <- fmt.Sprintf("asked %s, got lang=%s heading=%q", lang, got, d.Find("h1").Text())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestLanguageSelection(t *testing.T) {
	h := newHarness(t, app.Config{})
	cases := []struct{ accept, lang, dir string }{
		{"", "de", "ltr"},
		{"ar-SY,ar;q=0.9", "ar", "rtl"},
		{"tr-TR", "tr", "ltr"},
		{"en-US,en;q=0.8,de;q=0.5", "en", "ltr"},
		{"fr-FR", "de", "ltr"},
		{"not a header;;", "de", "ltr"},
	}
	for _, tc := range cases {
		d := doc(t, h.web("GET", "/login", nil, nil, "Accept-Language", tc.accept))
		lang, _ := d.Find("html").Attr("lang")
		dir, _ := d.Find("html").Attr("dir")
		if lang != tc.lang || dir != tc.dir {
			t.Errorf("Accept-Language %q: lang=%s dir=%s, want %s %s", tc.accept, lang, dir, tc.lang, tc.dir)
		}
		if d.Find(".language-switch").Length() == 0 {
			t.Errorf("no language switch on the login page")
		}
	}

	// Before login the switch stores the choice in the anonymous session.
	anon := openLoginPage(t, h, "Accept-Language", "de")
	resp := h.web("POST", "/language", &anon, url.Values{"lang": {"ar"}, "next": {"/login"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch: %d", resp.StatusCode)
	}
	resp.Body.Close()
	d := doc(t, h.web("GET", "/login", &anon, nil, "Accept-Language", "de"))
	if lang, _ := d.Find("html").Attr("lang"); lang != "ar" {
		t.Errorf("chosen language not kept: %s", lang)
	}
	// A bad language is a localised 422, not a 500.
	resp = h.web("POST", "/language", &anon, url.Values{"lang": {"xx"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad language: %d", resp.StatusCode)
	}
	resp.Body.Close()

	// Signed in, the user's setting wins over Accept-Language and the
	// switch changes it for good.
	ws := h.signIn(models.RoleCoordinator)
	d = doc(t, h.web("GET", "/", &ws, nil, "Accept-Language", "en"))
	if lang, _ := d.Find("html").Attr("lang"); lang != "de" {
		t.Errorf("user language ignored: %s", lang)
	}
	if d.Find(`form.language-switch select[name="lang"] option`).Length() != len(models.Languages) {
		t.Error("start page lacks the language switch")
	}
	resp = h.web("POST", "/language", &ws, url.Values{"lang": {"tr"}, "next": {"/"}})
	resp.Body.Close()
	d = doc(t, h.web("GET", "/", &ws, nil))
	if lang, _ := d.Find("html").Attr("lang"); lang != "tr" {
		t.Errorf("user language not switched: %s", lang)
	}
}
