package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/locales"
	"kurve/models"
	"kurve/models/dbtest"
)

// docSameAsGerman lists document translations that are rightly the German
// text: month names English writes the same way.
var docSameAsGerman = map[string]bool{
	"en:doc.month.april": true, "en:doc.month.august": true, "en:doc.month.september": true, "en:doc.month.november": true,
}

// loadDocCatalogue reads locales/documents/<lang>.toml: flat, quoted keys
// with plain strings (the documents use no plural forms).
func loadDocCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	var raw map[string]any
	if _, err := toml.DecodeFile(filepath.Join("..", "locales", "documents", lang+".toml"), &raw); err != nil {
		t.Fatalf("documents/%s.toml: %v", lang, err)
	}
	out := map[string]string{}
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Errorf("documents/%s.toml: %s is a %T, want a plain string (flat quoted keys, no plurals)", lang, k, v)
			continue
		}
		out[k] = s
	}
	return out
}

func docPlaceholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// docScript is the script each document language must be written in.
var docScript = map[string]*unicode.RangeTable{"ar": unicode.Arabic, "ru": unicode.Cyrillic, "bg": unicode.Cyrillic}

// TestDocumentCatalogueComplete fails on a document message missing, extra,
// empty, untranslated or with other placeholders than German in any of the
// eight languages, on text in the wrong script, and on a message ID that
// the document templates or handlers use but the catalogue lacks (or that
// nothing uses).
func TestDocumentCatalogueComplete(t *testing.T) {
	if _, err := app.NewDocuments(locales.FS); err != nil {
		t.Fatalf("the document catalogue does not load: %v", err)
	}
	source := loadDocCatalogue(t, "de")
	if len(source) < 60 {
		t.Fatalf("German document catalogue has only %d messages", len(source))
	}
	files, _ := filepath.Glob(filepath.Join("..", "locales", "documents", "*.toml"))
	if len(files) != len(app.DocumentLanguages) {
		t.Errorf("locales/documents has %d catalogues, want one per document language %v", len(files), app.DocumentLanguages)
	}
	for _, lang := range app.DocumentLanguages {
		cat := loadDocCatalogue(t, lang)
		for id, src := range source {
			msg, ok := cat[id]
			switch {
			case !ok:
				t.Errorf("%s: missing %s", lang, id)
				continue
			case strings.TrimSpace(msg) == "":
				t.Errorf("%s: %s is empty", lang, id)
				continue
			}
			if got, want := docPlaceholders(msg), docPlaceholders(src); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s has placeholders %v, German has %v", lang, id, got, want)
			}
			if lang != "de" && msg == src && !docSameAsGerman[lang+":"+id] {
				t.Errorf("%s: %s is the German text %q", lang, id, src)
			}
			if table, text := docScript[lang], placeholderRE.ReplaceAllString(msg, ""); table != nil &&
				hasLetterOf(text, unicode.Letter) && !hasLetterOf(text, table) {
				t.Errorf("%s: %s is not written in its script: %q", lang, id, msg)
			}
			if lang == "ku" && hasLetterOf(msg, unicode.Arabic) {
				t.Errorf("ku: %s is not in Latin script (Kurmanji): %q", id, msg)
			}
		}
		for id := range cat {
			if _, ok := source[id]; !ok {
				t.Errorf("%s: %s is not in the German source", lang, id)
			}
		}
	}

	used := usedDocumentIDs(t)
	for id, where := range used {
		if _, ok := source[id]; !ok {
			t.Errorf("%s uses %s, which the document catalogue does not define", where, id)
		}
	}
	for id := range source {
		if _, ok := used[id]; !ok {
			t.Errorf("document message %s is used nowhere", id)
		}
	}
}

func hasLetterOf(s string, table *unicode.RangeTable) bool {
	for _, r := range s {
		if unicode.Is(table, r) {
			return true
		}
	}
	return false
}

var (
	docTemplateIDRE = regexp.MustCompile(`\.T "([^"]+)"`)
	docLinkIDRE     = regexp.MustCompile(`\.L\.Doc "([^"]+)"`)
	docGoIDRE       = regexp.MustCompile(`"((?:doc|consent_form|visit_notice)\.[a-z_.0-9]+)"`)
)

// usedDocumentIDs collects the document message IDs of the document
// templates, of the case page's links, of the handlers, and those built at
// run time from fixed lists.
func usedDocumentIDs(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	templates, _ := filepath.Glob(filepath.Join("..", "views", "templates", "*.html"))
	goFiles, _ := filepath.Glob(filepath.Join("..", "app", "*.go"))
	for _, f := range append(templates, goFiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, base := string(b), filepath.Base(f)
		if strings.HasPrefix(base, "doc_") && strings.HasSuffix(base, ".html") {
			for _, m := range docTemplateIDRE.FindAllStringSubmatch(s, -1) {
				used[m[1]] = f
			}
		}
		for _, m := range docLinkIDRE.FindAllStringSubmatch(s, -1) {
			used[m[1]] = f
		}
		if strings.HasSuffix(f, ".go") {
			for _, m := range docGoIDRE.FindAllStringSubmatch(s, -1) {
				if !strings.HasSuffix(m[1], ".") && !strings.HasSuffix(m[1], ".html") {
					used[m[1]] = f
				}
			}
		}
	}
	if len(used) < 30 {
		t.Fatalf("found only %d document message IDs; is the scan broken?", len(used))
	}
	for _, p := range models.Purposes {
		used["consent_form.purpose."+string(p)+".title"] = "app/doc_consent.go (models.Purposes)"
		used["consent_form.purpose."+string(p)+".text"] = "app/doc_consent.go (models.Purposes)"
	}
	for _, r := range models.Relationships {
		used["doc.relationship."+r] = "app/documents.go (models.Relationships)"
	}
	for _, p := range models.VisitPurposes {
		used["visit_notice.aim."+p] = "app/doc_visit_notice.go (models.VisitPurposes)"
	}
	return used
}

// docParticipant is a demo participant as the API shows it to case staff.
type docParticipant struct {
	ID          string   `json:"id"`
	CaseNumber  string   `json:"case_number"`
	FamilyID    string   `json:"family_id"`
	FirstName   string   `json:"first_name"`
	LastName    string   `json:"last_name"`
	DateOfBirth string   `json:"date_of_birth"`
	Languages   []string `json:"languages"`
}

type docGuardianJSON struct {
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	HasCustody *bool  `json:"has_custody"`
}

type docFamilyJSON struct {
	Languages []models.FamilyLanguage `json:"languages"`
}

// expectedDocLanguage restates the rule of SPEC §7 / issue 6: the first
// interpreter language with a document, else the first family language
// with a document, else German.
func expectedDocLanguage(f docFamilyJSON) string {
	isDoc := func(l string) bool { return contains(app.DocumentLanguages, l) }
	for _, l := range f.Languages {
		if l.Mode == models.ModeInterpreter && isDoc(l.Language) {
			return l.Language
		}
	}
	for _, l := range f.Languages {
		if isDoc(l.Language) {
			return l.Language
		}
	}
	return "de"
}

func ageToday(t *testing.T, dob string) int {
	t.Helper()
	d, err := time.Parse(time.DateOnly, dob)
	if err != nil {
		t.Fatalf("date of birth %q: %v", dob, err)
	}
	// Computed here, not with models.AgeOn (the function under test): whole
	// years, one less before this year's birthday (compared as MM-DD).
	now := testToday()
	age := now.Year() - d.Year()
	if now.Format("01-02") < d.Format("01-02") {
		age--
	}
	return age
}

// wantDocumentShell checks what every document page must be: the
// document's lang and dir, the print stylesheet, the toolbar with all
// eight languages, and nothing of the application's navigation.
func wantDocumentShell(t *testing.T, where string, d *goquery.Document, lang string) {
	t.Helper()
	gotLang, _ := d.Find("html").Attr("lang")
	gotDir, _ := d.Find("html").Attr("dir")
	wantDir := "ltr"
	if lang == "ar" {
		wantDir = "rtl"
	}
	if gotLang != lang || gotDir != wantDir {
		t.Errorf("%s: html lang=%q dir=%q, want %q %q", where, gotLang, gotDir, lang, wantDir)
	}
	if d.Find(`link[rel="stylesheet"][href^="/static/print.css?v="]`).Length() != 1 || d.Find(`link[href^="/static/app.css"]`).Length() != 0 {
		t.Errorf("%s: does not use the print stylesheet alone", where)
	}
	if n := d.Find(".mainnav, .topbar, form.logout, .language-switch, footer.footer").Length(); n > 0 {
		t.Errorf("%s: shows %d parts of the application's navigation", where, n)
	}
	if d.Find("script").Length() > 0 || d.Find("[style]").Length() > 0 {
		t.Errorf("%s: inline script or style (CSP)", where)
	}
	links := d.Find(".doc-toolbar .doc-languages a")
	if links.Length() != len(app.DocumentLanguages) {
		t.Errorf("%s: toolbar offers %d languages, want %d", where, links.Length(), len(app.DocumentLanguages))
	}
	cur := d.Find(`.doc-toolbar .doc-languages a[aria-current="true"]`)
	if href, _ := cur.Attr("href"); cur.Length() != 1 || !strings.HasSuffix(href, "?lang="+lang) {
		t.Errorf("%s: current language link %q", where, href)
	}
	if strings.TrimSpace(d.Find("main h1").Text()) == "" || strings.TrimSpace(d.Find(".doc-print-hint").Text()) == "" {
		t.Errorf("%s: no heading or no print hint", where)
	}
}

func TestDocumentConsentForm(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	tok := h.token(models.RoleSocialWorker)
	ws := h.signIn(models.RoleSocialWorker)
	ps := decode[[]docParticipant](t, expect(t, h.api("GET", "/api/v1/participants", tok, ""), 200))
	if len(ps) < 5 {
		t.Fatalf("demo data: %d participants", len(ps))
	}

	headings := map[string]string{}
	var older, younger, arabic, kurmanji int
	for _, p := range ps {
		fam := decode[docFamilyJSON](t, expect(t, h.api("GET", "/api/v1/families/"+p.FamilyID, tok, ""), 200))
		gs := decode[[]docGuardianJSON](t, expect(t, h.api("GET", "/api/v1/participants/"+p.ID+"/guardians", tok, ""), 200))
		path := "/participants/" + p.ID + "/documents/consent"
		// Without ?lang= the form opens in the family's language; then in
		// every document language.
		def := expectedDocLanguage(fam)
		switch def {
		case "ar":
			arabic++
		case "ku":
			kurmanji++
		}
		langs := append([]string{""}, app.DocumentLanguages...)
		for _, lang := range langs {
			where := p.CaseNumber + " " + lang
			url := path
			want := def
			if lang != "" {
				url, want = path+"?lang="+lang, lang
			}
			d := doc(t, expect(t, h.web("GET", url, &ws, nil), 200))
			wantDocumentShell(t, where, d, want)
			if got := strings.TrimSpace(d.Find("#doc-child-name").Text()); got != p.FirstName+" "+p.LastName {
				t.Errorf("%s: child %q, want %q", where, got, p.FirstName+" "+p.LastName)
			}
			if got := strings.TrimSpace(d.Find("#doc-case-number").Text()); got != p.CaseNumber {
				t.Errorf("%s: case number %q, want %q", where, got, p.CaseNumber)
			}
			if v, _ := d.Find("#consent-document").Attr("data-version"); v != "2026-1" || !strings.Contains(d.Find(".doc-version").Text(), "2026-1") {
				t.Errorf("%s: form version %q not printed", where, v)
			}
			if n := d.Find(".doc-purpose").Length(); n != len(models.Purposes) {
				t.Errorf("%s: %d purposes, want %d", where, n, len(models.Purposes))
			}
			custodians := 0
			sigs := d.Find(`.signature[data-signer="guardian"] .signature-who`)
			for _, g := range gs {
				name := g.FirstName + " " + g.LastName
				if !strings.Contains(d.Find("#doc-guardian-list").Text(), name) {
					t.Errorf("%s: guardian %s not listed", where, name)
				}
				if g.HasCustody == nil || !*g.HasCustody {
					continue
				}
				custodians++
				if !strings.Contains(sigs.Text(), name) {
					t.Errorf("%s: no signature line for %s (custody)", where, name)
				}
			}
			if sigs.Length() != custodians {
				t.Errorf("%s: %d guardian signature lines, want %d (guardians with custody)", where, sigs.Length(), custodians)
			}
			if custodians == 0 && d.Find(`.signature[data-signer="blank"]`).Length() != 1 {
				t.Errorf("%s: no blank signature line although no guardian with custody is recorded", where)
			}
			assent := d.Find(`#doc-assent[data-signer="young_person"]`).Length() == 1
			if age := ageToday(t, p.DateOfBirth); assent != (age >= models.AssentAge) {
				t.Errorf("%s: age %d, assent line shown: %v", where, age, assent)
			} else if lang == "" && age >= models.AssentAge {
				older++
			} else if lang == "" {
				younger++
			}
			if assent && !strings.Contains(d.Find("#doc-assent").Text(), p.FirstName+" "+p.LastName) {
				t.Errorf("%s: assent line does not name the young person", where)
			}
			if lang != "" && headings[lang] == "" {
				headings[lang] = strings.TrimSpace(d.Find("main h1").Text())
			}
			// GDPR Art. 13 (issue 18): who is responsible, their contact,
			// the retention period from the configuration.
			privacy := d.Find("#doc-privacy-section")
			if privacy.Find("h3").Length() != 7 || !strings.Contains(privacy.Find("#doc-controller").Text(), "Stadt Essen, Jugendamt (Demo)") ||
				!strings.Contains(privacy.Find("#doc-controller").Text(), "Demostraße 1, 45121 Essen") ||
				!strings.Contains(privacy.Find("#doc-privacy-contact").Text(), "datenschutz@es.kurve.example") ||
				!strings.Contains(privacy.Find("#doc-retention").Text(), "24") {
				t.Errorf("%s: data-protection section %q", where, privacy.Text())
			}
		}
	}
	if older == 0 || younger == 0 || arabic == 0 || kurmanji == 0 {
		t.Errorf("demo data does not cover the cases: %d children 14+, %d younger, %d Arabic, %d Kurmanji families",
			older, younger, arabic, kurmanji)
	}
	for _, lang := range app.DocumentLanguages[1:] {
		if headings[lang] == headings["de"] {
			t.Errorf("%s: heading is the German one %q", lang, headings[lang])
		}
	}

	// An unknown language falls back to the family's; the case page links
	// the form; the read is audited.
	d := doc(t, expect(t, h.web("GET", "/participants/"+ps[0].ID+"/documents/consent?lang=xx", &ws, nil), 200))
	if lang, _ := d.Find("html").Attr("lang"); !contains(app.DocumentLanguages, lang) {
		t.Errorf("?lang=xx: lang %q", lang)
	}
	d = doc(t, expect(t, h.web("GET", "/participants/"+ps[0].ID, &ws, nil), 200))
	if d.Find(`#case-documents a#consent-document[href="/participants/`+ps[0].ID+`/documents/consent"]`).Length() != 1 ||
		d.Find(`#case-documents a[hreflang]`).Length() != len(app.DocumentLanguages) {
		t.Errorf("case page lacks the document links")
	}
	before := auditCount(t, h, models.AuditParticipantRead)
	expect(t, h.web("GET", "/participants/"+ps[0].ID+"/documents/consent", &ws, nil), 200).Body.Close()
	if auditCount(t, h, models.AuditParticipantRead) != before+1 {
		t.Errorf("consent form read not audited")
	}

	// Without the site's controller details the form is not printed: a
	// clear message (409) says what is missing and who records it.
	dbtest.Exec(t, h.db.Gorm, "UPDATE org.sites SET privacy_contact = '' WHERE code = 'ES'")
	resp := h.web("GET", "/participants/"+ps[0].ID+"/documents/consent", &ws, nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Datenschutz") {
		t.Errorf("consent form without the site's privacy contact: %d", resp.StatusCode)
	}
	// The retention period on the form follows the configuration.
	h2 := &harness{t: t, db: h.db, logins: h.logins, now: h.now}
	var err error
	if h2.srv, err = app.New(app.Config{DataKey: &key, RetentionMonths: 36, Clock: h.now}, h.db.Gorm); err != nil {
		t.Fatal(err)
	}
	dbtest.Exec(t, h.db.Gorm, "UPDATE org.sites SET privacy_contact = 'datenschutz@es.kurve.example' WHERE code = 'ES'")
	d = doc(t, expect(t, h2.web("GET", "/participants/"+ps[0].ID+"/documents/consent?lang=de", &ws, nil), 200))
	if !strings.Contains(d.Find("#doc-retention").Text(), "36 Monate") {
		t.Errorf("retention on the form: %q, want 36 months", d.Find("#doc-retention").Text())
	}
}

func TestDocumentVisitNotice(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	medTok, swTok := h.token(models.RoleMediator), h.token(models.RoleSocialWorker)
	med := decode[map[string]any](t, h.api("GET", "/api/v1/me", medTok, ""))
	sw := decode[map[string]any](t, h.api("GET", "/api/v1/me", swTok, ""))
	medName, swName := med["name"].(string), sw["name"].(string)

	// An active child of a family the mediator works with, and a child of a
	// family without a mediator.
	var mine, other string
	h.db.Gorm.Raw(`SELECT p.id FROM prevention.participants p JOIN prevention.assignments a ON a.participant_id = p.id
		JOIN org.users u ON u.id = a.user_id WHERE p.status = 'active' AND u.role = 'language_mediator' ORDER BY p.case_number LIMIT 1`).Scan(&mine)
	h.db.Gorm.Raw(`SELECT p.id FROM prevention.participants p WHERE p.status = 'contacted' AND NOT EXISTS (
		SELECT 1 FROM prevention.assignments a JOIN org.users u ON u.id = a.user_id
		WHERE a.participant_id = p.id AND u.role = 'language_mediator') ORDER BY p.case_number LIMIT 1`).Scan(&other)
	if mine == "" || other == "" {
		t.Fatalf("demo data: no child with (%q) and without (%q) a mediator", mine, other)
	}
	day := testToday().AddDate(0, 0, 3)
	start := time.Date(day.Year(), day.Month(), day.Day(), 16, 30, 0, 0, berlin)
	body := func(pid, purpose, swID string, from time.Time) string {
		extra := ""
		if swID != "" {
			extra = fmt.Sprintf(`,"social_worker_id":%q`, swID)
		}
		return fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":%q%s}`, pid,
			from.Format(time.RFC3339), from.Add(90*time.Minute).Format(time.RFC3339), purpose, extra)
	}
	v := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/visits", medTok, body(mine, "follow_up", sw["id"].(string), start)), 201))
	w := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/visits", swTok, body(other, "first_contact", sw["id"].(string), start.Add(3*time.Hour))), 201))
	notice := "/visits/" + v["id"].(string) + "/notice"

	medWS := h.signIn(models.RoleMediator)
	d := doc(t, expect(t, h.web("GET", notice, &medWS, nil), 200))
	lang, _ := d.Find("html").Attr("lang")
	if !contains(app.DocumentLanguages, lang) {
		t.Fatalf("notice in %q", lang)
	}
	wantDocumentShell(t, "notice (mediator)", d, lang)
	names := d.Find(".visitor-name").Text()
	if !strings.Contains(names, medName) || !strings.Contains(names, swName) {
		t.Errorf("notice names %q, want the mediator %q and the social worker %q", names, medName, swName)
	}
	if tm := d.Find("#notice-time").Text(); !strings.Contains(tm, "16:30") || !strings.Contains(tm, "18:00") {
		t.Errorf("notice time %q, want 16:30 to 18:00 (Berlin)", tm)
	}
	for _, lang := range app.DocumentLanguages {
		d := doc(t, expect(t, h.web("GET", notice+"?lang="+lang, &medWS, nil), 200))
		wantDocumentShell(t, "notice "+lang, d, lang)
		if strings.TrimSpace(d.Find("#notice-purpose").Text()) == "" || strings.TrimSpace(d.Find("#notice-date").Text()) == "" {
			t.Errorf("notice %s: no purpose or date", lang)
		}
		if !strings.Contains(d.Find("#notice-date").Text(), fmt.Sprint(start.Year())) {
			t.Errorf("notice %s: date %q", lang, d.Find("#notice-date").Text())
		}
	}
	d = doc(t, expect(t, h.web("GET", notice+"?lang=de", &medWS, nil), 200))
	if got := d.Find("#notice-date").Text(); !strings.Contains(got, fmt.Sprintf("%d.", start.Day())) {
		t.Errorf("German date %q", got)
	}

	// The mediator does not see the other family's visit; case staff do.
	expect(t, h.web("GET", "/visits/"+w["id"].(string)+"/notice", &medWS, nil), 404).Body.Close()
	swWS := h.signIn(models.RoleSocialWorker)
	d = doc(t, expect(t, h.web("GET", "/visits/"+w["id"].(string)+"/notice", &swWS, nil), 200))
	if !strings.Contains(d.Find(".visitor-name").Text(), swName) {
		t.Errorf("notice without mediator names %q", d.Find(".visitor-name").Text())
	}
	expect(t, h.web("GET", "/visits/00000000-0000-0000-0000-000000000000/notice", &swWS, nil), 404).Body.Close()
}

// TestDocumentAccess: the consent form and the notice are case staff's and
// the family's mediators'; police, evaluators, admin and dpo get neither.
func TestDocumentAccess(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	var pid string
	h.db.Gorm.Raw(`SELECT p.id FROM prevention.participants p JOIN prevention.assignments a ON a.participant_id = p.id
		JOIN org.users u ON u.id = a.user_id WHERE p.status = 'active' AND u.role = 'language_mediator' ORDER BY p.case_number LIMIT 1`).Scan(&pid)
	v := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/visits", h.token(models.RoleMediator),
		fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":"follow_up"}`, pid,
			time.Now().Add(50*time.Hour).UTC().Truncate(time.Hour).Format(time.RFC3339),
			time.Now().Add(51*time.Hour).UTC().Truncate(time.Hour).Format(time.RFC3339))), 201))
	consent, notice := "/participants/"+pid+"/documents/consent", "/visits/"+v["id"].(string)+"/notice"
	cases := []struct {
		role            models.Role
		consent, notice int
	}{
		{models.RoleSocialWorker, 200, 200},
		{models.RoleCoordinator, 200, 200},
		{models.RoleMediator, 200, 200},
		{models.RolePoliceLiaison, 403, 403},
		{models.RoleEvaluator, 403, 403},
		{models.RoleAdmin, 403, 403},
		{models.RoleDPO, 403, 403},
	}
	for _, tc := range cases {
		ws := h.signIn(tc.role)
		for path, want := range map[string]int{consent: tc.consent, notice: tc.notice} {
			resp := h.web("GET", path, &ws, nil)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s GET %s: %d, want %d", tc.role, path, resp.StatusCode, want)
			}
		}
	}
	resp := h.web("GET", consent, nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous: %d, want a redirect to the login", resp.StatusCode)
	}
}
