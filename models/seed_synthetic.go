package models

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// DefaultSyntheticParticipants is the size of a synthetic data set when
// none is asked for: about two million sessions.
const DefaultSyntheticParticipants = 100000

// SyntheticOptions shapes a synthetic data set.
type SyntheticOptions struct {
	// Participants is the number of children; DefaultSyntheticParticipants
	// when 0.
	Participants int
	// Seed seeds math/rand/v2: the same seed and Today give the same data
	// shape (ids, dates, counts). Ciphertexts differ: their nonces are
	// random.
	Seed int64
	// Today is the "now" of the data set: casework happened before its
	// day, planned sessions and visits lie after it. time.Now() when zero.
	Today time.Time
}

// SyntheticReport counts what SeedSynthetic wrote. SessionEntries are the
// rows of prevention.session_participants.
type SyntheticReport struct {
	Sites, Users, Families, Participants        int
	Sessions, SessionEntries, Visits, Referrals int
	// Assessments are the rows of prevention.assessments (issue 17).
	Assessments int
	Took        time.Duration
}

// SeedSynthetic fills eight synthetic Ruhr-area sites with a case load at
// scale, for load tests and statistics: staff, families, participants with
// their status history, consents, casework, visits, police referrals and
// assessments (seed_synthetic_assess.go).
//
// It writes with COPY as the connection's own role, the owner of the
// tables: COPY into tables under row-level security is refused to the
// kurve_* roles. So no policy checks these rows; the generator keeps the
// rules itself (the status graph, consent before activity, sessions only
// while active), and the tests hold it to them. Identity and contact data
// are sealed exactly as the Store seals them, so the app reads them.
//
// Everything is one transaction: a failure leaves nothing behind. It
// refuses to run when a synthetic site has participants already, so a
// second run fails instead of doubling the data. While it writes (about a
// minute for 100,000 participants) the case tables are locked: it is meant
// for development and load-test databases, not for one in use.
func SeedSynthetic(ctx context.Context, db *gorm.DB, cipher *Cipher, opt SyntheticOptions) (SyntheticReport, error) {
	start := time.Now()
	if cipher == nil {
		return SyntheticReport{}, errors.New("models: synthetic data needs a data key")
	}
	if opt.Participants == 0 {
		opt.Participants = DefaultSyntheticParticipants
	}
	if opt.Participants < 0 {
		return SyntheticReport{}, fmt.Errorf("models: synthetic participants %d: must be positive", opt.Participants)
	}
	if opt.Today.IsZero() {
		opt.Today = time.Now()
	}
	if opt.Today.Before(time.Date(syntheticStart, 7, 1, 0, 0, 0, 0, time.UTC)) {
		return SyntheticReport{}, fmt.Errorf("models: synthetic data starts in %d and needs a later today", syntheticStart)
	}
	// The plan is mostly large arrays without pointers (about 450 MB at
	// 100,000 participants), which the collector never scans; a tighter
	// heap target keeps the process well under a gigabyte for little CPU.
	defer debug.SetGCPercent(debug.SetGCPercent(40))
	g := newSynth(opt, cipher)
	sqlDB, err := db.DB()
	if err != nil {
		return SyntheticReport{}, fmt.Errorf("models: database handle: %w", err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return SyntheticReport{}, fmt.Errorf("models: synthetic data: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("models: synthetic data needs the pgx driver, not %T", dc)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return fmt.Errorf("models: synthetic data: %w", err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		if err := g.run(ctx, tx); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return SyntheticReport{}, err
	}
	// The search index, as the write paths would have made it.
	if _, err := IndexMissing(ctx, db, cipher, 5000); err != nil {
		return SyntheticReport{}, err
	}
	// The tables grew by orders of magnitude; without fresh statistics the
	// planner would keep choosing plans for the empty ones. VACUUM sets
	// the visibility map as autovacuum soon would on a database in use:
	// without it every index-only scan (the row policies' assignment
	// look-up among them) reads the table's pages too, and measurements
	// on a fresh data set would show a cost no running site has.
	if err := db.WithContext(ctx).Exec("VACUUM (ANALYZE) " + strings.Join(append(syntheticTables, "prevention.search_tokens"), ", ")).Error; err != nil {
		return SyntheticReport{}, fmt.Errorf("models: analyze synthetic data: %w", err)
	}
	g.report.Took = time.Since(start)
	return g.report, nil
}

// copyTables are the tables SeedSynthetic fills with COPY.
var copyTables = []string{"org.users", "org.mediator_languages", "prevention.families", "prevention.family_languages",
	"prevention.guardians", "prevention.participants", "prevention.participant_guardians", "prevention.status_changes",
	"prevention.assignments", "prevention.consents", "prevention.consent_events", "enforcement.referrals",
	"prevention.intake_decisions", "prevention.goals", "prevention.reviews", "prevention.extensions", "prevention.closings",
	"prevention.sessions", "prevention.session_staff", "prevention.session_participants", "prevention.visits",
	"prevention.assessments", "prevention.assessment_scores"}

// syntheticTables are all the tables SeedSynthetic writes.
var syntheticTables = append([]string{"org.sites", "prevention.measures", "prevention.measure_modules",
	"prevention.case_counters", "prevention.assessment_items"}, copyTables...)

// dropForeignKeys drops the foreign keys of tables and returns the
// statements that add them back as they were.
func dropForeignKeys(ctx context.Context, tx pgx.Tx, tables []string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'f' AND conrelid = ANY ($1::text[]::regclass[]) ORDER BY 1, 2`, tables)
	if err != nil {
		return nil, fmt.Errorf("models: foreign keys: %w", err)
	}
	var table, name, def string
	var drop, restore []string
	_, err = pgx.ForEachRow(rows, []any{&table, &name, &def}, func() error {
		con := pgx.Identifier{name}.Sanitize()
		drop = append(drop, "ALTER TABLE "+table+" DROP CONSTRAINT "+con)
		restore = append(restore, "ALTER TABLE "+table+" ADD CONSTRAINT "+con+" "+def)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: foreign keys: %w", err)
	}
	for _, stmt := range drop {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("models: foreign keys: %w", err)
		}
	}
	return restore, nil
}

// run plans the data set and writes it, table by table in the order of
// their foreign keys.
func (g *synth) run(ctx context.Context, tx pgx.Tx) error {
	// Names in constraint definitions come out schema-qualified; the
	// validation of the restored foreign keys gets memory for hash joins.
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = pg_catalog; SET LOCAL work_mem = '256MB'"); err != nil {
		return fmt.Errorf("models: synthetic data: %w", err)
	}
	if err := g.refuseExisting(ctx, tx); err != nil {
		return err
	}
	if err := g.loadSites(ctx, tx); err != nil {
		return err
	}
	g.planCases()
	g.planStaff()
	if err := g.numberCases(); err != nil {
		return err
	}
	g.planCasework()
	hash, err := HashPassword(randomToken(32)) // nobody knows it: nobody logs in as synthetic staff
	if err != nil {
		return err
	}
	g.hash = hash
	// Checking each row's foreign keys one by one would take two thirds of
	// the time; PostgreSQL checks a whole table at once when a constraint
	// is added ("Populating a Database" in its manual). The constraints
	// are dropped inside this transaction and added back before it
	// commits, so nobody ever sees the tables without them, and a row
	// that breaks one rolls everything back.
	restore, err := dropForeignKeys(ctx, tx, copyTables)
	if err != nil {
		return err
	}
	for _, step := range []func(context.Context, pgx.Tx) error{g.writeStaff, g.writeCatalogue, g.writeFamilies,
		g.writeParticipants, g.writeConsents, g.writeReferrals, g.writeCasework, g.writeSessions, g.writeVisits,
		g.writeAssessments} {
		if err := step(ctx, tx); err != nil {
			return err
		}
	}
	for _, stmt := range restore {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("models: synthetic data breaks a constraint: %s: %w", stmt, err)
		}
	}
	g.report.Sites, g.report.Users, g.report.Families = len(g.sites), len(g.users), len(g.families)
	g.report.Participants, g.report.Sessions, g.report.SessionEntries = len(g.children), len(g.sessions), len(g.entries)
	g.report.Visits, g.report.Referrals = len(g.visits), len(g.referrals)
	return nil
}

// ---------------------------------------------------------------------------
// Reference data. Everything here is invented: street names that exist in
// many towns, fictitious 555 phone numbers, first and family names from
// short lists, so that the data looks plausible without resembling anyone.
// ---------------------------------------------------------------------------

// syntheticSites are Ruhr-area towns whose codes do not clash with the
// demo's ES, DU and DO. Weights make some sites big and some small.
var syntheticSites = []struct {
	code, name, area, postcode string
	weight                     float64
}{
	{"GE", "Gelsenkirchen", "0209", "458", 1.6},
	{"BO", "Bochum", "0234", "447", 1.5},
	{"OB", "Oberhausen", "0208", "460", 1.0},
	{"HER", "Herne", "02323", "446", 0.7},
	{"MH", "Mülheim an der Ruhr", "0208", "454", 0.8},
	{"BOT", "Bottrop", "02041", "462", 0.5},
	{"RE", "Recklinghausen", "02361", "456", 1.1},
	{"HA", "Hagen", "02331", "580", 0.8},
}

// syntheticSiteCodes are the codes of syntheticSites.
func syntheticSiteCodes() []string {
	codes := make([]string, 0, len(syntheticSites))
	for _, s := range syntheticSites {
		codes = append(codes, s.code)
	}
	return codes
}

type nameList struct{ boys, girls, men, women, family []string }

// syntheticNames are names per home language.
var syntheticNames = map[string]nameList{
	"de": {[]string{"Lukas", "Leon", "Finn", "Jonas", "Paul", "Elias", "Noah", "Ben"}, []string{"Mia", "Emma", "Lea", "Lena", "Hannah", "Sophie"},
		[]string{"Thomas", "Michael", "Andreas", "Stefan", "Markus"}, []string{"Sabine", "Nicole", "Stefanie", "Claudia", "Katrin"},
		[]string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner", "Hoffmann", "Koch", "Richter"}},
	"tr": {[]string{"Emir", "Yusuf", "Mehmet", "Kerem", "Mert", "Can", "Emre", "Burak"}, []string{"Elif", "Zeynep", "Defne", "Eylül", "Merve", "Ecrin"},
		[]string{"Ahmet", "Mustafa", "Hüseyin", "Hasan", "Murat"}, []string{"Fatma", "Emine", "Hatice", "Sevgi", "Ayşe"},
		[]string{"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk"}},
	"ar": {[]string{"Omar", "Ali", "Yusuf", "Karim", "Ahmad", "Hamza", "Tarek", "Adam"}, []string{"Lina", "Nour", "Mariam", "Yasmin", "Layla", "Amira"},
		[]string{"Khaled", "Mahmoud", "Samir", "Walid", "Bassam"}, []string{"Samira", "Hiba", "Mona", "Rania", "Dalia"},
		[]string{"Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Hassan", "Ibrahim", "Darwish"}},
	"ku": {[]string{"Rojhat", "Baran", "Azad", "Dilan", "Serhat", "Welat"}, []string{"Berfin", "Rojda", "Zilan", "Hêvî", "Nûda", "Delal"},
		[]string{"Şêrko", "Rênas", "Hogir", "Dilovan"}, []string{"Gulistan", "Nesrin", "Evîn", "Leyla"},
		[]string{"Aslan", "Zana", "Bozan", "Tekin", "Keskin", "Amed"}},
	"ro": {[]string{"Andrei", "Ionuț", "Mihai", "Alexandru", "Gabriel", "Florin"}, []string{"Maria", "Elena", "Ioana", "Andreea", "Daria", "Bianca"},
		[]string{"Ion", "Vasile", "Marian", "Cristian"}, []string{"Mihaela", "Cristina", "Simona", "Gabriela"},
		[]string{"Popescu", "Ionescu", "Stan", "Dumitru", "Constantin", "Stoica"}},
	"bg": {[]string{"Ivan", "Georgi", "Dimitar", "Nikolai", "Petar", "Stefan"}, []string{"Elena", "Maria", "Desislava", "Yana", "Viktoria", "Teodora"},
		[]string{"Todor", "Krasimir", "Plamen", "Angel"}, []string{"Galina", "Svetlana", "Rumyana", "Nadezhda"},
		[]string{"Ivanov", "Petrov", "Georgiev", "Dimitrov", "Nikolov", "Stoyanov"}},
	"ru": {[]string{"Maxim", "Artjom", "Daniil", "Ilja", "Nikita", "Kirill"}, []string{"Anastasia", "Darja", "Polina", "Sofia", "Alina", "Xenia"},
		[]string{"Sergej", "Alexej", "Dmitri", "Wladimir"}, []string{"Natalja", "Swetlana", "Olga", "Irina"},
		[]string{"Iwanow", "Smirnow", "Kusnezow", "Popow", "Wolkow", "Morosow"}},
	"pl": {[]string{"Jakub", "Kacper", "Szymon", "Filip", "Mateusz", "Wojciech"}, []string{"Zuzanna", "Julia", "Maja", "Zofia", "Hanna", "Natalia"},
		[]string{"Piotr", "Tomasz", "Paweł", "Marek"}, []string{"Agnieszka", "Katarzyna", "Magdalena", "Ewa"},
		[]string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski"}},
}

// syntheticLast is a family name marked as synthetic ("Kaya-Synth"), as
// the demo data marks its names with "-Demo": nobody reading a screen or a
// dump can take it for a real family.
func syntheticLast(g *synth, names nameList) string { return pick(g, names.family) + "-Synth" }

// homeLanguages and their shares among families.
var (
	homeLanguages = []string{"de", "ar", "tr", "ku", "ro", "bg", "ru", "pl"}
	homeShares    = []float64{35, 18, 15, 8, 7, 6, 6, 5}
)

// mediatorLanguages are what the synthetic mediators of a site offer
// between them: every home language but German, and Farsi.
var mediatorLanguages = []string{"ar", "tr", "ku", "ro", "bg", "ru", "pl", "fa"}

var (
	syntheticStreets = []string{"Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Lindenweg", "Kirchstraße",
		"Bergstraße", "Ringstraße", "Am Markt", "Parkallee", "Wiesenweg", "Friedrichstraße"}
	syntheticSchools = []string{"Gesamtschule Nord", "Realschule am Park", "Hauptschule Mitte", "Gymnasium an der Ruhr",
		"Sekundarschule Süd", "Förderschule am Wald"}
	syntheticPrimarySchools = []string{"Grundschule Lindenweg", "Grundschule am Markt", "Grundschule Nord"}
	syntheticGoals          = []string{"Konflikte ohne Gewalt lösen", "Regelmäßig am Unterricht teilnehmen", "Wut erkennen und Pausen nutzen",
		"Einen Sportverein finden", "Hausaufgaben verlässlich erledigen", "Respektvoll mit Lehrkräften sprechen",
		"Freizeit mit neuen Freunden gestalten", "Keine neuen Anzeigen"}
	syntheticExtensionReasons = []string{"Schulwechsel steht an; Begleitung bis zum Halbjahr.", "Ziele teilweise erreicht, Familie wünscht Fortsetzung.",
		"Längere Krankheit, Training wird nachgeholt.", "Übergang in die Ausbildung begleiten."}
	policeUnits = []string{"Mitte", "Nord", "Süd", "Ost", "West"}
)

// catalogueEntry is a measure of the catalogue with its modules.
type catalogueEntry = struct {
	in      MeasureInput
	modules []MeasureInput
}

// syntheticCatalogue is the demo catalogue with individual training in
// place of counselling: the measures the program's sites actually run.
var syntheticCatalogue = func() []catalogueEntry {
	var out []catalogueEntry
	for _, m := range demoMeasures {
		if m.in.Code != "counselling" {
			out = append(out, m)
		}
	}
	return append(out, catalogueEntry{
		in: MeasureInput{Code: "individual_training", Labels: Labels{"Einzeltraining", "Individual training", "Bireysel eğitim", "تدريب فردي"}},
		modules: []MeasureInput{
			{Code: "self_control", Labels: Labels{"Selbstkontrolle", "Self-control", "Öz denetim", "ضبط النفس"}},
			{Code: "perspective", Labels: Labels{"Perspektivwechsel", "Seeing the other side", "Bakış açısı değiştirme", "تغيير وجهة النظر"}},
		}})
}()

// Measures the generator uses, by their place in syntheticCatalogue.
var (
	msSocialSkills  = catalogueIndex("social_skills")
	msAntiViolence  = catalogueIndex("anti_violence")
	msSport         = catalogueIndex("sport")
	msIndividual    = catalogueIndex("individual_training")
	msSchoolSupport = catalogueIndex("school_support")
	msFamilyTalk    = catalogueIndex("family_talk")
	msParenting     = catalogueIndex("parenting")
)

func catalogueIndex(code string) uint8 {
	for i, m := range syntheticCatalogue {
		if m.in.Code == code {
			return uint8(i)
		}
	}
	panic("models: synthetic catalogue lacks " + code)
}

// Shape of the casework, tuned so that 100,000 participants give about two
// million sessions and 300,000 visits.
const (
	syntheticStart    = 2021 // first year of entries
	pWeeklySession    = 0.69 // a school week of an active case has its main session
	pGroupSession     = 0.35 // ... which for a group track is held in the group
	pExtraSession     = 0.12 // a school week has an additional individual session
	pHolidaySession   = 0.30 // a holiday week has an individual session; groups pause
	pCancelledSession = 0.04
	sessionHorizon    = 21 // days ahead that sessions are planned
	pOnTimeReview     = 0.75
	pExtension        = 0.20
	pPoliceReferral   = 0.85 // of participants; declined and waiting referrals come on top
	shareDeclined     = 0.10
	shareUndecided    = 0.03
	visitFirstHour    = 7 // UTC: visits start from 8 (winter) or 9 (summer) German time
	visitLastHour     = 15
)

// ---------------------------------------------------------------------------
// The plan: everything is generated in memory first (a few hundred
// megabytes for 100,000 participants, none of it boxed), then streamed into
// COPY row by row.
// ---------------------------------------------------------------------------

type synth struct {
	r      *rand.Rand
	today  time.Time // midnight UTC of the data set's day
	n      int
	seed   uint64 // opt.Seed, for the parts with a random source of their own
	sealer *Store // only its cipher: values are sealed as every write path seals them
	err    error  // first sealing error
	hash   string

	sites     []*synSite
	users     []synUser
	families  []synFamily
	guardians []synGuardian
	children  []synChild
	consents  []synConsent
	goals     []synGoal
	reviews   []synReview
	sessions  []synSession
	entries   []synEntry
	visits    []synVisit
	police    []synPoliceContact // seed_synthetic_police.go
	referrals []synReferral
	assess    synAssess // seed_synthetic_assess.go
	busy      map[uint64]bool
	report    SyntheticReport
}

type synSite struct {
	code, name, area, postcode string
	weight                     float64
	id                         [16]byte
	quota, open                int
	coordinator, police        int
	workers, mediators         []int
	covers                     map[string][]int // mediators per language
	measures                   []synMeasure     // in syntheticCatalogue order
	counters                   map[int]int      // last case number per year
}

type synMeasure struct {
	id      [16]byte
	modules [][16]byte // in catalogue order; zero when the site lacks one
}

type synUser struct {
	id                [16]byte
	site              int
	role              Role
	email, name, lang string
	langs             []string
}

type synFamily struct {
	id                 [16]byte
	site               int
	home, interp, last string // interp: the language needing an interpreter
	langs              []FamilyLanguage
	address, phone     string
	evaluation, police bool // purposes consented beyond participation
	guardians          []int32
	mediator           int // -1 without interpreter
	created            time.Time
}

type synGuardian struct {
	id               [16]byte
	family           int32
	first, last, rel string
	phone            string
	custody, male    bool
	langs            []string
}

type synStep struct {
	to     Status
	on     time.Time
	reason string
}

type synChild struct {
	id                         [16]byte
	family                     int32
	site                       int
	first, gender, school      string
	dob, entry                 time.Time // entry: created_at, when the case was opened
	caseNumber                 string
	steps                      []synStep
	activated, ended, extended time.Time
	endReason, handover        string
	worker                     int
	track                      uint8 // the main measure
	weekday, hour              int
	attend                     float64 // how reliably the child comes
}

func (c *synChild) status() Status { return c.steps[len(c.steps)-1].to }

// stepOn is the day the child reached status, zero when it never did.
func (c *synChild) stepOn(s Status) time.Time {
	for _, st := range c.steps {
		if st.to == s {
			return st.on
		}
	}
	return time.Time{}
}

// until is the first day after the active period (the end, or today).
func (g *synth) until(c *synChild) time.Time {
	if !c.ended.IsZero() {
		return c.ended
	}
	return g.today
}

type synConsent struct {
	id                                   [16]byte
	child, guardian                      int32 // guardian -1: the young person's own assent
	purposes                             []string
	requested, given, refused, withdrawn time.Time
}

func (k *synConsent) state() ConsentState {
	switch {
	case !k.withdrawn.IsZero():
		return ConsentWithdrawn
	case !k.refused.IsZero():
		return ConsentRefused
	case !k.given.IsZero():
		return ConsentGiven
	}
	return ConsentRequested
}

type synGoal struct {
	id                       [16]byte
	child                    int32
	title, progress, outcome string
	target, created          time.Time
}

type synReview struct {
	id    [16]byte
	child int32
	held  time.Time
}

// synSession is one session; its participants are entries[first:first+n].
type synSession struct {
	id       [16]byte
	start    int64 // unix seconds
	first    int32
	staff    [2]int32 // user indexes, -1 for none
	site     uint8
	measure  uint8
	module   int8 // -1 for none
	status   uint8
	n        uint8
	minutes  uint16
	mediator bool
}

var sessionStatuses = []string{SessionHeld, SessionCancelled, SessionPlanned}

type synEntry struct {
	child      int32
	attendance uint8 // index into entryAttendance
}

var entryAttendance = []any{nil, string(Attended), string(Excused), string(Absent)}

type synVisit struct {
	id               [16]byte
	child            int32
	start            int64
	minutes          int16
	purpose, status  uint8
	mediator, worker int32 // user indexes, -1 for none
}

type synReferral struct {
	id                         [16]byte
	site                       int
	child                      int32 // the participant it became, -1 otherwise
	created, dob, decided      time.Time
	first, last, gender        string
	guardian, phone            string
	reason, unit, ref, decline string
}

func newSynth(opt SyntheticOptions, cipher *Cipher) *synth {
	g := &synth{r: rand.New(rand.NewPCG(uint64(opt.Seed), 0x6b75727665)), today: dateOf(opt.Today), n: opt.Participants,
		sealer: &Store{cipher: cipher}, busy: map[uint64]bool{}}
	g.seed = uint64(opt.Seed)
	for _, s := range syntheticSites {
		g.sites = append(g.sites, &synSite{code: s.code, name: s.name, area: s.area, postcode: s.postcode, weight: s.weight,
			covers: map[string][]int{}, counters: map[int]int{}})
	}
	return g
}

// planCases draws the families, their guardians and children, and each
// child's way through the program up to today.
func (g *synth) planCases() {
	total := 0.0
	for _, s := range g.sites {
		total += s.weight
	}
	// Largest remainder: the quotas add up to n exactly.
	left := g.n
	type rest struct {
		site int
		frac float64
	}
	var rests []rest
	for i, s := range g.sites {
		q := float64(g.n) * s.weight / total
		s.quota = int(q)
		left -= s.quota
		rests = append(rests, rest{i, q - math.Floor(q)})
	}
	slices.SortStableFunc(rests, func(a, b rest) int { return cmp.Compare(b.frac, a.frac) })
	for i := 0; i < left; i++ {
		g.sites[rests[i].site].quota++
	}
	for si, s := range g.sites {
		for todo := s.quota; todo > 0; {
			k := 1 + g.weighted(78, 18, 4) // siblings share a family
			k = min(k, todo)
			todo -= k
			f := g.newFamily(si)
			base := g.entryDay()
			for j := 0; j < k; j++ {
				day := base
				if j > 0 {
					day = base.AddDate(0, 0, g.r.IntN(90))
					if !day.Before(g.today) {
						day = base
					}
				}
				g.newChild(f, day)
			}
			g.families[f].created = g.children[len(g.children)-k].entry
		}
	}
	// Chronological order: case numbers and ids count up with the entry date.
	slices.SortStableFunc(g.children, func(a, b synChild) int { return a.entry.Compare(b.entry) })
	for ci := range g.children {
		g.children[ci].id = g.uuidAt(g.children[ci].entry)
	}
}

func (g *synth) newFamily(site int) int {
	s := g.sites[site]
	home := homeLanguages[g.weighted(homeShares...)]
	names := syntheticNames[home]
	f := synFamily{id: g.uuid(), site: site, home: home, last: syntheticLast(g, names), mediator: -1,
		evaluation: g.chance(0.8), police: g.chance(0.5)}
	switch {
	case home == "de":
		f.langs = []FamilyLanguage{{"de", ModeFluent}}
	case g.chance(0.46):
		// About 30 % of all families need an interpreter.
		f.interp = home
		f.langs = []FamilyLanguage{{home, ModeInterpreter}}
		if g.chance(0.6) {
			f.langs = append(f.langs, FamilyLanguage{"de", ModeBasic})
		}
	default:
		f.langs = []FamilyLanguage{{home, ModeFluent}, {"de", []string{ModeFluent, ModeBasic}[g.r.IntN(2)]}}
	}
	f.address = fmt.Sprintf("%s %d, %s%02d %s", pick(g, syntheticStreets), 1+g.r.IntN(120), s.postcode, g.r.IntN(100), s.name)
	f.phone = fmt.Sprintf("%s 555%04d", s.area, g.r.IntN(10000))
	fi := len(g.families)
	// One or two guardians; the first always has custody, so that consent
	// can be complete.
	n := 1 + g.weighted(45, 55)
	for j := 0; j < n; j++ {
		gd := synGuardian{id: g.uuid(), family: int32(fi), last: f.last, custody: j == 0 || g.chance(0.9)}
		switch j {
		case 0:
			gd.rel = []string{"mother", "mother", "mother", "mother", "mother", "mother", "grandparent", "foster_parent", "legal_guardian", "aunt_uncle"}[g.r.IntN(10)]
		default:
			gd.rel = []string{"father", "father", "father", "father", "step_parent", "grandparent"}[g.r.IntN(6)]
		}
		gd.male = gd.rel == "father" || (gd.rel != "mother" && g.chance(0.4))
		if gd.male {
			gd.first = pick(g, names.men)
		} else {
			gd.first = pick(g, names.women)
		}
		if g.chance(0.6) {
			gd.phone = fmt.Sprintf("01%d 555%05d", 51+g.r.IntN(29), g.r.IntN(100000))
		}
		gd.langs = []string{home}
		if home != "de" && f.interp == "" {
			gd.langs = append(gd.langs, "de")
		}
		f.guardians = append(f.guardians, int32(len(g.guardians)))
		g.guardians = append(g.guardians, gd)
	}
	g.families = append(g.families, f)
	return fi
}

// ageWeights are the shares of the ages 8 to 17 at entry.
var ageWeights = []float64{6, 8, 11, 13, 14, 14, 13, 11, 5, 3}

func (g *synth) newChild(family int, entry time.Time) {
	f := &g.families[family]
	names := syntheticNames[f.home]
	c := synChild{family: int32(family), site: f.site, worker: -1,
		entry: entry.Add(time.Duration(7*60+g.r.IntN(8*60)) * time.Minute)}
	switch g.weighted(75, 22, 1.5, 1.5) {
	case 0:
		c.gender, c.first = "male", pick(g, names.boys)
	case 1:
		c.gender, c.first = "female", pick(g, names.girls)
	case 2:
		c.gender, c.first = "diverse", pick(g, append(names.boys[:2:2], names.girls[:2]...))
	default:
		c.gender, c.first = "unspecified", pick(g, append(names.girls[:2:2], names.boys[:2]...))
	}
	age := 8 + g.weighted(ageWeights...)
	c.dob = entry.AddDate(-age, 0, -g.r.IntN(365))
	switch {
	case g.chance(0.3):
	case age < 10:
		c.school = pick(g, syntheticPrimarySchools) + ", " + g.sites[c.site].name
	default:
		c.school = pick(g, syntheticSchools) + ", " + g.sites[c.site].name
	}
	c.track = []uint8{msSocialSkills, msAntiViolence, msSport, msIndividual}[g.weighted(40, 30, 12, 18)]
	c.weekday, c.hour = g.r.IntN(5), 13+g.r.IntN(4)
	// Most children come almost always, some often, a few rarely.
	switch g.weighted(55, 30, 15) {
	case 0:
		c.attend = 0.88 + 0.12*g.r.Float64()
	case 1:
		c.attend = 0.60 + 0.25*g.r.Float64()
	default:
		c.attend = 0.20 + 0.30*g.r.Float64()
	}
	g.path(&c)
	// Closed cases had their closing interview: who takes over now.
	switch c.status() {
	case StatusCompleted:
		c.handover = Handovers[g.weighted(30, 15, 15, 40)]
	case StatusEndedEarly:
		c.handover = Handovers[g.weighted(15, 30, 30, 25)]
	}
	g.children = append(g.children, c)
}

// entryDay draws a weekday from 2021 to yesterday; later years bring more
// cases as the program grows.
func (g *synth) entryDay() time.Time {
	start := time.Date(syntheticStart, 1, 1, 0, 0, 0, 0, time.UTC)
	span := days(start, g.today)
	if span < 1 {
		return g.today.AddDate(0, 0, -1)
	}
	for {
		d := start.AddDate(0, 0, g.r.IntN(span))
		w := 0.7 + 0.12*float64(min(d.Year()-syntheticStart, 5))
		if g.r.Float64()*1.3 >= w {
			continue
		}
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		return d
	}
}

// path walks the child along the status graph of SPEC §3; a step that
// would fall on today or later has not happened yet, so young cases stay
// open and old ones are closed.
func (g *synth) path(c *synChild) {
	d := dateOf(c.entry)
	c.steps = []synStep{{to: StatusReferred, on: d}}
	step := func(to Status, after int, reason string) bool {
		next := d.AddDate(0, 0, after)
		if !next.Before(g.today) {
			return false
		}
		d = next
		c.steps = append(c.steps, synStep{to, d, reason})
		if !to.Open() {
			c.ended, c.endReason = d, reason
		}
		return true
	}
	fate := g.r.Float64()
	if fate < 0.06 {
		step(StatusDeclined, 7+g.r.IntN(35), []string{"no_contact", "no_contact", "family_refused"}[g.r.IntN(3)])
		return
	}
	if !step(StatusContacted, 2+g.r.IntN(20), "") {
		return
	}
	if fate < 0.10 {
		step(StatusDeclined, 5+g.r.IntN(25), []string{"family_refused", "child_refused", "other"}[g.r.IntN(3)])
		return
	}
	if !step(StatusConsentPending, 4+g.r.IntN(25), "") {
		return
	}
	switch {
	case fate < 0.13:
		step(StatusDeclined, 5+g.r.IntN(30), "family_refused")
		return
	case fate < 0.15:
		step(StatusEndedEarly, 5+g.r.IntN(30), []string{"moved", "needs_other_help", "no_contact"}[g.r.IntN(3)])
		return
	}
	if !step(StatusActive, 5+g.r.IntN(30), "") {
		return
	}
	c.activated = d
	switch end := g.r.Float64(); {
	case end < 0.18:
		step(StatusEndedEarly, 30+g.r.IntN(270), EndReasons[g.weighted(22, 20, 14, 16, 12, 10, 6)])
	case end < 0.24:
		step(StatusWithdrawn, 30+g.r.IntN(240), "")
	default:
		months := ProgramMonths
		if g.chance(pExtension) {
			months += ExtensionMonths
			if ext := c.activated.AddDate(0, ProgramMonths-1, -g.r.IntN(20)); ext.Before(g.today) {
				c.extended = ext
			}
		}
		step(StatusCompleted, days(c.activated, c.activated.AddDate(0, months, 0))-1-g.r.IntN(15), "")
	}
}

// planStaff sizes each site's team by its open case load (about 40 cases
// per social worker, a mediator per three of them) and gives every case
// its social worker and every interpreter family its mediator.
func (g *synth) planStaff() {
	for ci := range g.children {
		if c := &g.children[ci]; c.status().Open() && c.status() != StatusReferred {
			g.sites[c.site].open++
		}
	}
	for si, s := range g.sites {
		domain := strings.ToLower(s.code) + ".synthetic.kurve.example"
		add := func(role Role, local, title string, i int, lang string) int {
			g.users = append(g.users, synUser{id: g.uuid(), site: si, role: role, lang: lang,
				email: fmt.Sprintf("%s%02d@%s", local, i, domain), name: fmt.Sprintf("%s %s %02d (synthetisch)", title, s.code, i)})
			return len(g.users) - 1
		}
		s.coordinator = add(RoleCoordinator, "coord", "Koordination", 1, "de")
		s.police = add(RolePoliceLiaison, "police", "Polizei", 1, "de")
		workers := max(2, (s.open+39)/40)
		for i := 1; i <= workers; i++ {
			s.workers = append(s.workers, add(RoleSocialWorker, "sw", "Fachkraft", i, "de"))
		}
		mediators := max(2, (workers+2)/3)
		for i := 1; i <= mediators; i++ {
			s.mediators = append(s.mediators, add(RoleMediator, "med", "Sprachmittlung", i, "de"))
		}
		// Every language is offered by one mediator, and by a second one
		// where the site has several; a big team's others offer two each.
		offer := func(m int, l string) {
			if u := &g.users[s.mediators[m]]; !contains(u.langs, l) {
				u.langs = append(u.langs, l)
				s.covers[l] = append(s.covers[l], s.mediators[m])
			}
		}
		for i, l := range mediatorLanguages {
			offer(i%mediators, l)
			offer((i+1)%mediators, l)
		}
		for m := len(mediatorLanguages); m < mediators; m++ {
			offer(m, mediatorLanguages[m%len(mediatorLanguages)])
			offer(m, mediatorLanguages[(m+3)%len(mediatorLanguages)])
		}
		for _, m := range s.mediators {
			if u := &g.users[m]; ValidLanguage(u.langs[0]) {
				u.lang = u.langs[0]
			}
		}
	}
	for fi := range g.families {
		if f := &g.families[fi]; f.interp != "" {
			f.mediator = pick(g, g.sites[f.site].covers[f.interp])
		}
	}
	for ci := range g.children {
		c := &g.children[ci]
		c.worker = pick(g, g.sites[c.site].workers)
	}
}

// numberCases gives case numbers <site>-<year>-<nnnn> in entry order,
// continuing each site's counter.
func (g *synth) numberCases() error {
	for ci := range g.children {
		c := &g.children[ci]
		s := g.sites[c.site]
		y := c.entry.Year()
		s.counters[y]++
		// prevention.next_case_number pads to four digits and would cut
		// longer numbers; the app could not continue after them.
		if s.counters[y] > 9999 {
			return fmt.Errorf("models: synthetic data: more than 9999 cases for %s in %d; ask for fewer participants", s.code, y)
		}
		c.caseNumber = fmt.Sprintf("%s-%d-%04d", s.code, y, s.counters[y])
	}
	return nil
}

// planCasework draws consents, goals, reviews, sessions, visits and
// referrals for the planned cases.
func (g *synth) planCasework() {
	for ci := range g.children {
		g.planConsents(ci)
		g.planGoalsAndReviews(ci)
		g.planVisits(ci)
	}
	g.busy = nil
	g.planSessions()
	g.planReferrals()
	slices.SortFunc(g.visits, func(a, b synVisit) int {
		return cmp.Or(cmp.Compare(a.start, b.start), slices.Compare(a.id[:], b.id[:]))
	})
}

// planConsents follows SPEC §4: consent is requested from every guardian
// with custody when the case reaches consent_pending, and given before
// activation; from 14 the young person assents as well. A decline refuses
// it, a withdrawal withdraws one guardian's consent.
func (g *synth) planConsents(ci int) {
	c := &g.children[ci]
	f := &g.families[c.family]
	pending := c.stepOn(StatusConsentPending)
	if pending.IsZero() {
		return
	}
	purposes := []string{string(PurposeParticipation), string(PurposeDataProcessing)}
	guardianPurposes := []string{string(PurposeParticipation), string(PurposeDataProcessing)}
	if f.evaluation {
		guardianPurposes = append(guardianPurposes, string(PurposeEvaluation))
	}
	if f.police {
		guardianPurposes = append(guardianPurposes, string(PurposePoliceFeedback))
	}
	given := time.Time{}
	if !c.activated.IsZero() {
		given = c.activated.AddDate(0, 0, -g.r.IntN(min(3, days(pending, c.activated))+1))
	}
	refused := time.Time{}
	if c.status() == StatusDeclined {
		refused = c.ended
	}
	first := len(g.consents)
	for _, gi := range f.guardians {
		if !g.guardians[gi].custody {
			continue
		}
		g.consents = append(g.consents, synConsent{id: g.uuidAt(pending), child: int32(ci), guardian: gi, purposes: guardianPurposes,
			requested: pending, given: given, refused: refused})
	}
	if c.status() == StatusWithdrawn {
		g.consents[first].withdrawn = c.ended
	}
	fourteen := c.dob.AddDate(AssentAge, 0, 0)
	switch {
	case !fourteen.After(pending):
		g.consents = append(g.consents, synConsent{id: g.uuidAt(pending), child: int32(ci), guardian: -1, purposes: purposes,
			requested: pending, given: given, refused: refused})
	case !c.activated.IsZero() && fourteen.Before(g.until(c)):
		// Turned 14 while active: assent from the birthday on.
		g.consents = append(g.consents, synConsent{id: g.uuidAt(fourteen), child: int32(ci), guardian: -1, purposes: purposes, given: fourteen})
	}
}

// planGoalsAndReviews gives every case that became active two to four
// goals (closed cases with their outcome), reviews about every eight
// weeks (a quarter of them late) and the extension drawn by path.
func (g *synth) planGoalsAndReviews(ci int) {
	c := &g.children[ci]
	if c.activated.IsZero() {
		return
	}
	until := g.until(c)
	for k := 2 + g.r.IntN(3); k > 0; k-- {
		gl := synGoal{id: g.uuidAt(c.activated), child: int32(ci), title: pick(g, syntheticGoals),
			target: c.activated.AddDate(0, 0, 90+g.r.IntN(180)), created: c.activated.AddDate(0, 0, g.r.IntN(15))}
		if !gl.created.Before(until) {
			gl.created = c.activated
		}
		gl.progress, gl.outcome = g.goalState(c)
		g.goals = append(g.goals, gl)
	}
	for held := c.activated; ; {
		if g.chance(pOnTimeReview) {
			held = held.AddDate(0, 0, 40+g.r.IntN(17))
		} else {
			held = held.AddDate(0, 0, ReviewInterval+7+g.r.IntN(36))
		}
		if !held.Before(until) {
			break
		}
		g.reviews = append(g.reviews, synReview{id: g.uuidAt(held), child: int32(ci), held: held})
	}
}

// goalState is a goal's progress and, for closed cases, its outcome:
// completed cases achieve more than those that ended early.
func (g *synth) goalState(c *synChild) (progress, outcome string) {
	closed := func(weights ...float64) (string, string) {
		switch g.weighted(weights...) {
		case 0:
			return "achieved", "achieved"
		case 1:
			return "in_progress", "partly_achieved"
		}
		return []string{"dropped", "in_progress"}[g.r.IntN(2)], "not_achieved"
	}
	switch c.status() {
	case StatusCompleted:
		return closed(55, 35, 10)
	case StatusEndedEarly:
		return closed(15, 35, 50)
	case StatusWithdrawn:
		return GoalProgress[g.weighted(20, 60, 10, 10)], ""
	}
	f := math.Min(1, float64(days(c.activated, g.today))/365)
	switch x := g.r.Float64(); {
	case x < 0.45*f:
		return "achieved", ""
	case x < 0.45*f+0.05:
		return "dropped", ""
	case x < 0.45*f+0.05+0.3*(1-f):
		return "not_started", ""
	}
	return "in_progress", ""
}

// planVisits: the first contact and the consent talk at home, follow-ups
// every few months while active, a closing visit; open cases have their
// next visit planned.
func (g *synth) planVisits(ci int) {
	c := &g.children[ci]
	contacted, pending := c.stepOn(StatusContacted), c.stepOn(StatusConsentPending)
	if contacted.IsZero() {
		return
	}
	next := func(days ...time.Time) time.Time { // the day before the next step
		for _, d := range days {
			if !d.IsZero() {
				return d.AddDate(0, 0, -1)
			}
		}
		return g.today.AddDate(0, 0, -1)
	}
	g.visit(ci, "first_contact", contacted, next(pending, c.ended), true)
	if !pending.IsZero() {
		day := pending.AddDate(0, 0, g.r.IntN(3))
		last := next(c.activated, c.ended)
		if day.After(last) {
			day = pending
		}
		g.visit(ci, "consent_talk", day, last, false)
	}
	if !c.activated.IsZero() {
		until := g.until(c)
		for day := c.activated.AddDate(0, 0, 45+g.r.IntN(76)); day.Before(until); day = day.AddDate(0, 0, 240+g.r.IntN(121)) {
			g.visit(ci, []string{"family_conversation", "follow_up"}[g.r.IntN(2)], day, until.AddDate(0, 0, -1), false)
		}
	}
	if c.status() == StatusCompleted && g.chance(0.5) {
		g.visit(ci, "closing", c.ended.AddDate(0, 0, -g.r.IntN(6)), c.ended, false)
	}
	ahead := func(p float64, purpose string, within int) {
		if g.chance(p) {
			day := g.today.AddDate(0, 0, 1+g.r.IntN(within))
			g.visit(ci, purpose, day, day.AddDate(0, 0, 7), false)
		}
	}
	switch c.status() {
	case StatusContacted:
		ahead(0.6, "consent_talk", 14)
	case StatusConsentPending:
		ahead(0.4, "consent_talk", 14)
	case StatusActive:
		ahead(0.4, []string{"family_conversation", "follow_up"}[g.r.IntN(2)], 21)
	}
}

// visit books a visit of the child's family on day or, when somebody is
// booked already, a later free hour up to last. Interpreter families are
// visited with their mediator, mostly together with the social worker.
func (g *synth) visit(ci int, purpose string, day, last time.Time, withWorker bool) {
	c := &g.children[ci]
	f := &g.families[c.family]
	v := synVisit{child: int32(ci), purpose: uint8(slices.Index(VisitPurposes, purpose)), mediator: -1, worker: int32(c.worker),
		minutes: 60}
	var people []int
	if f.mediator >= 0 {
		v.mediator, v.minutes = int32(f.mediator), 90
		people = append(people, f.mediator)
		if !withWorker && g.chance(0.3) {
			v.worker = -1
		}
	}
	if v.worker >= 0 {
		people = append(people, c.worker)
	}
	start := g.book(people, day, last, visitFirstHour+g.r.IntN(visitLastHour-visitFirstHour), int(v.minutes+59)/60)
	v.start, v.id = start.Unix(), g.uuidAt(start)
	switch {
	case dateOf(start).After(g.today):
		v.status = 0
	default:
		v.status = uint8(1 + g.weighted(82, 8, 10))
	}
	g.visits = append(g.visits, v)
}

// visitStatuses are indexed by synVisit.status.
var visitStatuses = []string{VisitPlanned, VisitDone, VisitCancelled, VisitNobodyHome}

// book finds the first hour from hour on, on day or one of the next days
// up to last (a week at most), at which none of people is booked; when
// there is none it keeps the wish (a double booking breaks no constraint).
func (g *synth) book(people []int, day, last time.Time, hour, slots int) time.Time {
	hours := visitLastHour - visitFirstHour + 1
	for d := day; !d.After(last) && days(day, d) < 7; d = d.AddDate(0, 0, 1) {
		if d.Equal(g.today) {
			continue
		}
		for k := 0; k < hours; k++ {
			h := visitFirstHour + (hour-visitFirstHour+k)%hours
			if h+slots-1 > visitLastHour || !g.free(people, d, h, slots) {
				continue
			}
			g.take(people, d, h, slots)
			return at(d, h, 0)
		}
	}
	g.take(people, day, hour, slots)
	return at(day, hour, 0)
}

func busyKey(person int, day time.Time, hour int) uint64 {
	return uint64(person)<<40 | uint64(day.Unix()/86400)<<8 | uint64(hour)
}

func (g *synth) free(people []int, day time.Time, hour, slots int) bool {
	for _, p := range people {
		for h := hour; h < hour+slots; h++ {
			if g.busy[busyKey(p, day, h)] {
				return false
			}
		}
	}
	return true
}

func (g *synth) take(people []int, day time.Time, hour, slots int) {
	for _, p := range people {
		for h := hour; h < hour+slots; h++ {
			g.busy[busyKey(p, day, h)] = true
		}
	}
}

// planSessions: a week of an active case has its main session (for a
// group track often in the site's weekly group, which forms from the
// children active that week) and sometimes an additional individual one.
// Sessions lie within the active period: never before activation, never on
// or after the end (consent is withdrawn on the day of withdrawal).
func (g *synth) planSessions() {
	type groupKey struct {
		site, measure uint8
		week          int64
	}
	groups := map[groupKey][]int32{}
	// Room for the expected number up front: growing slices of millions
	// by doubling would hold old and new arrays at once.
	weeks := 0
	for ci := range g.children {
		if c := &g.children[ci]; !c.activated.IsZero() {
			weeks += days(c.activated, g.until(c).AddDate(0, 0, sessionHorizon))/7 + 1
		}
	}
	expect := int(float64(weeks) * (pWeeklySession + pExtraSession))
	g.sessions, g.entries = slices.Grow(g.sessions, expect), slices.Grow(g.entries, expect)
	for ci := range g.children {
		c := &g.children[ci]
		if c.activated.IsZero() {
			continue
		}
		last := g.today.AddDate(0, 0, sessionHorizon)
		if !c.ended.IsZero() {
			last = c.ended.AddDate(0, 0, -1)
		}
		within := func(d time.Time) bool { return !d.Before(c.activated) && !d.After(last) && !d.Equal(g.today) }
		f := &g.families[c.family]
		for week := monday(c.activated); !week.After(last); week = week.AddDate(0, 0, 7) {
			holiday := schoolHoliday(week)
			if g.chance(pWeeklySession) && (!holiday || g.chance(pHolidaySession/pWeeklySession)) {
				grouped := false
				if c.track != msIndividual && !holiday && g.chance(pGroupSession) {
					if d := week.AddDate(0, 0, groupWeekday(c.site, c.track)); within(d) {
						k := groupKey{uint8(c.site), c.track, week.Unix()}
						groups[k] = append(groups[k], int32(ci))
						grouped = true
					}
				}
				if d := week.AddDate(0, 0, c.weekday); !grouped && within(d) {
					g.addSession(c.site, msIndividual, at(d, c.hour, 30*g.r.IntN(2)), []int32{int32(ci)}, false, 45+15*g.r.IntN(3))
				}
			}
			if !holiday && g.chance(pExtraSession) {
				d := week.AddDate(0, 0, (c.weekday+1+g.r.IntN(4))%5)
				if within(d) {
					m := []uint8{msSchoolSupport, msFamilyTalk, msParenting}[g.weighted(45, 40, 15)]
					mediator := f.interp != "" && m != msSchoolSupport
					g.addSession(c.site, m, at(d, 9+g.r.IntN(6), 0), []int32{int32(ci)}, mediator, 45+15*g.r.IntN(4))
				}
			}
		}
	}
	keys := make([]groupKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		return cmp.Or(cmp.Compare(a.week, b.week), cmp.Compare(a.site, b.site), cmp.Compare(a.measure, b.measure))
	})
	for _, k := range keys {
		members := groups[k]
		g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		start := at(time.Unix(k.week, 0).UTC().AddDate(0, 0, groupWeekday(int(k.site), k.measure)), 15, 0)
		// Groups of three to six; a week with one or two children holds
		// the group with them alone.
		for len(members) > 0 {
			size := len(members)
			if size > 6 {
				size = 3 + g.r.IntN(4)
				if len(members)-size < 3 {
					size = len(members) - 3
				}
			}
			g.addSession(int(k.site), k.measure, start, members[:size], false, 90+30*g.r.IntN(2))
			members = members[size:]
		}
	}
	// Written in time order, so that ids and the (site, start) index grow.
	slices.SortFunc(g.sessions, func(a, b synSession) int {
		return cmp.Or(cmp.Compare(a.start, b.start), slices.Compare(a.id[:], b.id[:]))
	})
}

// schoolHoliday reports whether the week of monday lies (roughly) in the
// school holidays of North Rhine-Westphalia: Christmas, Easter, six weeks
// in summer, two in autumn.
func schoolHoliday(monday time.Time) bool {
	_, w := monday.ISOWeek()
	return w == 1 || w == 13 || w == 14 || (w >= 27 && w <= 32) || w == 42 || w == 43 || w >= 52
}

// groupWeekday is the weekday (0 = Monday) of a site's group of a measure.
func groupWeekday(site int, measure uint8) int { return (site*3 + int(measure)*2) % 5 }

func (g *synth) addSession(site int, measure uint8, start time.Time, members []int32, mediator bool, minutes int) {
	s := synSession{id: g.uuidAt(start), start: start.Unix(), first: int32(len(g.entries)), site: uint8(site), measure: measure,
		module: -1, n: uint8(len(members)), minutes: uint16(minutes), mediator: mediator, staff: [2]int32{-1, -1}}
	if mods := len(syntheticCatalogue[measure].modules); mods > 0 && g.chance(0.85) {
		s.module = int8(g.r.IntN(mods))
	}
	switch {
	case dateOf(start).After(g.today):
		s.status = 2
	case g.chance(pCancelledSession):
		s.status = 1
	}
	// The social workers of the children lead; a group has two at most.
	for _, ci := range members {
		w := int32(g.children[ci].worker)
		if s.staff[0] < 0 {
			s.staff[0] = w
		} else if s.staff[1] < 0 && s.staff[0] != w {
			s.staff[1] = w
		}
		e := synEntry{child: ci}
		if s.status == 0 {
			switch {
			case g.r.Float64() < g.children[ci].attend:
				e.attendance = 1
			case g.chance(0.47):
				e.attendance = 2
			default:
				e.attendance = 3
			}
		}
		g.entries = append(g.entries, e)
	}
	g.sessions = append(g.sessions, s)
}

// planReferrals: most cases came from a police referral a few days or
// weeks before the case was opened; on top come referrals the coordinators
// declined and some still waiting in the intake queue.
func (g *synth) planReferrals() {
	for ci := range g.children {
		if !g.chance(pPoliceReferral) {
			continue
		}
		c := &g.children[ci]
		f := &g.families[c.family]
		gd := &g.guardians[f.guardians[0]]
		created := dateOf(c.entry).AddDate(0, 0, -3-g.r.IntN(38))
		g.referrals = append(g.referrals, synReferral{site: c.site, child: int32(ci),
			created: created.Add(time.Duration(7*60+g.r.IntN(9*60)) * time.Minute), decided: c.entry,
			first: c.first, last: f.last, gender: c.gender, dob: c.dob, guardian: gd.first + " " + gd.last, phone: f.phone})
	}
	extra := func(share float64, decided bool) {
		for k := int(math.Round(share * float64(g.n))); k > 0; k-- {
			site := g.children[g.r.IntN(len(g.children))].site
			var created time.Time
			if decided {
				for created = g.entryDay(); days(created, g.today) < 25; created = g.entryDay() {
				}
			} else {
				created = g.today.AddDate(0, 0, -1-g.r.IntN(45))
			}
			home := homeLanguages[g.weighted(homeShares...)]
			names := syntheticNames[home]
			r := synReferral{site: site, child: -1, last: syntheticLast(g, names), gender: "male", first: pick(g, names.boys),
				created: created.Add(time.Duration(7*60+g.r.IntN(9*60)) * time.Minute)}
			if g.chance(0.25) {
				r.gender, r.first = "female", pick(g, names.girls)
			}
			r.dob = created.AddDate(-8-g.weighted(ageWeights...), 0, -g.r.IntN(365))
			r.guardian = pick(g, names.women) + " " + r.last
			if g.chance(0.7) {
				r.phone = fmt.Sprintf("%s 555%04d", g.sites[site].area, g.r.IntN(10000))
			}
			if decided {
				r.decline = DeclineReasons[g.weighted(35, 25, 20, 10, 10)]
				r.decided = dateOf(r.created).AddDate(0, 0, 2+g.r.IntN(20)).Add(10 * time.Hour)
			}
			g.referrals = append(g.referrals, r)
		}
	}
	extra(shareDeclined, true)
	extra(shareUndecided, false)
	slices.SortStableFunc(g.referrals, func(a, b synReferral) int { return a.created.Compare(b.created) })
	// Police references count up per site and year, as the police's own
	// numbering would: other cases lie between two referrals.
	refs := map[[2]int]int{}
	for i := range g.referrals {
		r := &g.referrals[i]
		key := [2]int{r.site, r.created.Year()}
		refs[key] += 1 + g.r.IntN(40)
		s := g.sites[r.site]
		r.id = g.uuidAt(r.created)
		r.ref = fmt.Sprintf("PP-%s-%d-%06d", s.code, key[1], refs[key])
		r.reason = ReasonCategories[g.weighted(45, 35, 20)]
		r.unit = "PI " + s.name + "-" + pick(g, policeUnits)
	}
	g.planPoliceContacts()
}

// ---------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------

// refuseExisting fails when a synthetic site has participants: a second
// run must not double the data.
func (g *synth) refuseExisting(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT s.code FROM org.sites s WHERE s.code = ANY($1)
		AND EXISTS (SELECT 1 FROM prevention.participants p WHERE p.site_id = s.id) ORDER BY s.code`, syntheticSiteCodes())
	if err != nil {
		return fmt.Errorf("models: synthetic sites: %w", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("models: synthetic sites: %w", err)
	}
	if len(codes) > 0 {
		return fmt.Errorf("models: synthetic data exists: sites %s have participants already: %w", strings.Join(codes, ", "), ErrConflict)
	}
	return nil
}

// loadSites reuses the synthetic sites that exist, creates the others and
// reads their case counters, which the numbering continues.
func (g *synth) loadSites(ctx context.Context, tx pgx.Tx) error {
	for _, s := range g.sites {
		var id pgtype.UUID
		err := tx.QueryRow(ctx, `WITH n AS (INSERT INTO org.sites (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING RETURNING id)
			SELECT id FROM n UNION ALL SELECT id FROM org.sites WHERE code = $1`, s.code, s.name).Scan(&id)
		if err != nil {
			return fmt.Errorf("models: synthetic site %s: %w", s.code, err)
		}
		s.id = id.Bytes
		rows, err := tx.Query(ctx, "SELECT year, last FROM prevention.case_counters WHERE site_id = $1", id)
		if err != nil {
			return fmt.Errorf("models: case counters of %s: %w", s.code, err)
		}
		var year, last int
		if _, err := pgx.ForEachRow(rows, []any{&year, &last}, func() error { s.counters[year] = last; return nil }); err != nil {
			return fmt.Errorf("models: case counters of %s: %w", s.code, err)
		}
	}
	return nil
}

func (g *synth) writeStaff(ctx context.Context, tx pgx.Tx) error {
	since := time.Date(syntheticStart-1, 12, 1, 9, 0, 0, 0, time.UTC)
	err := g.copy(ctx, tx, "org.users", []string{"id", "site_id", "email", "name", "role", "language", "password_hash",
		"active", "version", "created_at", "updated_at"}, func(yield func([]any) bool) {
		for _, u := range g.users {
			if !yield([]any{pgUUID(u.id), pgUUID(g.sites[u.site].id), u.email, u.name, string(u.role), u.lang, g.hash,
				true, 1, since, since}) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return g.copy(ctx, tx, "org.mediator_languages", []string{"user_id", "language"}, func(yield func([]any) bool) {
		for _, u := range g.users {
			for _, l := range u.langs {
				if !yield([]any{pgUUID(u.id), l}) {
					return
				}
			}
		}
	})
}

// writeCatalogue adds the measure catalogue to each site where it lacks
// entries (an existing site keeps its own) and reads the ids back.
func (g *synth) writeCatalogue(ctx context.Context, tx pgx.Tx) error {
	for _, s := range g.sites {
		for i, m := range syntheticCatalogue {
			l := m.in.Labels
			if _, err := tx.Exec(ctx, `INSERT INTO prevention.measures (id, site_id, code, name_de, name_en, name_tr, name_ar, group_format, sort)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (site_id, code) DO NOTHING`,
				pgUUID(g.uuid()), pgUUID(s.id), m.in.Code, l.DE, l.EN, l.TR, l.AR, m.in.GroupFormat, i); err != nil {
				return fmt.Errorf("models: synthetic measure %s: %w", m.in.Code, err)
			}
			var measure pgtype.UUID
			if err := tx.QueryRow(ctx, "SELECT id FROM prevention.measures WHERE site_id = $1 AND code = $2", pgUUID(s.id), m.in.Code).Scan(&measure); err != nil {
				return fmt.Errorf("models: synthetic measure %s: %w", m.in.Code, err)
			}
			sm := synMeasure{id: measure.Bytes}
			for j, mod := range m.modules {
				l := mod.Labels
				var id pgtype.UUID
				err := tx.QueryRow(ctx, `WITH n AS (INSERT INTO prevention.measure_modules (id, measure_id, code, name_de, name_en, name_tr, name_ar, sort)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (measure_id, code) DO NOTHING RETURNING id)
					SELECT id FROM n UNION ALL SELECT id FROM prevention.measure_modules WHERE measure_id = $2 AND code = $3`,
					pgUUID(g.uuid()), measure, mod.Code, l.DE, l.EN, l.TR, l.AR, j).Scan(&id)
				if err != nil {
					return fmt.Errorf("models: synthetic module %s: %w", mod.Code, err)
				}
				sm.modules = append(sm.modules, id.Bytes)
			}
			s.measures = append(s.measures, sm)
		}
	}
	return nil
}

func (g *synth) writeFamilies(ctx context.Context, tx pgx.Tx) error {
	err := g.copy(ctx, tx, familiesTable, []string{"id", "site_id", "address_enc", "phone_enc", "version", "created_by",
		"created_at", "updated_at"}, func(yield func([]any) bool) {
		for _, f := range g.families {
			s := g.sites[f.site]
			if !yield([]any{pgUUID(f.id), pgUUID(s.id), g.seal(familiesTable, "address", f.id, f.address),
				g.seal(familiesTable, "phone", f.id, f.phone), 1, pgUUID(g.users[s.coordinator].id), f.created, f.created}) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	err = g.copy(ctx, tx, "prevention.family_languages", []string{"family_id", "language", "mode"}, func(yield func([]any) bool) {
		for _, f := range g.families {
			for _, l := range f.langs {
				if !yield([]any{pgUUID(f.id), l.Language, l.Mode}) {
					return
				}
			}
		}
	})
	if err != nil {
		return err
	}
	return g.copy(ctx, tx, guardiansTable, []string{"id", "family_id", "first_name_enc", "last_name_enc", "phone_enc",
		"languages", "version", "created_at", "updated_at"}, func(yield func([]any) bool) {
		for _, gd := range g.guardians {
			created := g.families[gd.family].created
			if !yield([]any{pgUUID(gd.id), pgUUID(g.families[gd.family].id), g.seal(guardiansTable, "first_name", gd.id, gd.first),
				g.seal(guardiansTable, "last_name", gd.id, gd.last), g.seal(guardiansTable, "phone", gd.id, gd.phone),
				gd.langs, 1, created, created}) {
				return
			}
		}
	})
}

func (g *synth) writeParticipants(ctx context.Context, tx pgx.Tx) error {
	err := g.copy(ctx, tx, participantsTable, []string{"id", "site_id", "case_number", "status", "version", "created_at",
		"family_id", "first_name_enc", "last_name_enc", "date_of_birth_enc", "birth_month", "gender", "languages",
		"school_enc", "status_changed_on", "activated_on", "ended_on", "end_reason", "created_by", "updated_at"},
		func(yield func([]any) bool) {
			for _, c := range g.children {
				f := &g.families[c.family]
				s := g.sites[c.site]
				langs := make([]string, 0, len(f.langs))
				for _, l := range f.langs {
					langs = append(langs, l.Language)
				}
				last := c.steps[len(c.steps)-1]
				updated := c.entry
				if len(c.steps) > 1 {
					updated = at(last.on, 11, 0)
				}
				if !yield([]any{pgUUID(c.id), pgUUID(s.id), c.caseNumber, string(last.to), len(c.steps), c.entry,
					pgUUID(f.id), g.seal(participantsTable, "first_name", c.id, c.first), g.seal(participantsTable, "last_name", c.id, f.last),
					g.seal(participantsTable, "date_of_birth", c.id, c.dob.Format(time.DateOnly)),
					time.Date(c.dob.Year(), c.dob.Month(), 1, 0, 0, 0, 0, time.UTC), c.gender, langs,
					g.seal(participantsTable, "school", c.id, c.school), last.on, nullDate(c.activated), nullDate(c.ended),
					nullString(c.endReason), pgUUID(g.users[s.coordinator].id), updated}) {
					return
				}
			}
		})
	if err != nil {
		return err
	}
	err = g.copy(ctx, tx, "prevention.participant_guardians", []string{"participant_id", "guardian_id", "relationship", "has_custody"},
		func(yield func([]any) bool) {
			for _, c := range g.children {
				for _, gi := range g.families[c.family].guardians {
					gd := &g.guardians[gi]
					if !yield([]any{pgUUID(c.id), pgUUID(gd.id), gd.rel, gd.custody}) {
						return
					}
				}
			}
		})
	if err != nil {
		return err
	}
	// One history row per step: the creation by the coordinator, then the
	// social worker's changes.
	err = g.copy(ctx, tx, "prevention.status_changes", []string{"participant_id", "from_status", "to_status", "reason",
		"effective_on", "changed_by", "changed_at"}, func(yield func([]any) bool) {
		for _, c := range g.children {
			for i, st := range c.steps {
				from, by, when := any(nil), g.users[c.worker].id, at(st.on, 11, 0)
				if i == 0 {
					by, when = g.users[g.sites[c.site].coordinator].id, c.entry
				} else {
					from = string(c.steps[i-1].to)
				}
				if !yield([]any{pgUUID(c.id), from, string(st.to), nullString(st.reason), st.on, pgUUID(by), when}) {
					return
				}
			}
		}
	})
	if err != nil {
		return err
	}
	// The counters continue after the synthetic case numbers, so that
	// next_case_number gives the app's next case a fresh one.
	var sites []pgtype.UUID
	var years, lasts []int32
	for _, s := range g.sites {
		for y, last := range s.counters {
			sites, years, lasts = append(sites, pgUUID(s.id)), append(years, int32(y)), append(lasts, int32(last))
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO prevention.case_counters AS c (site_id, year, last)
		SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[])
		ON CONFLICT (site_id, year) DO UPDATE SET last = greatest(c.last, EXCLUDED.last)`, sites, years, lasts); err != nil {
		return fmt.Errorf("models: case counters: %w", err)
	}
	// Every case beyond referred has its social worker, interpreter
	// families their mediator, from the first contact to the end.
	return g.copy(ctx, tx, "prevention.assignments", []string{"id", "participant_id", "site_id", "user_id", "kind",
		"from_on", "until_on", "created_by", "created_at"}, func(yield func([]any) bool) {
		for _, c := range g.children {
			from := c.stepOn(StatusContacted)
			if from.IsZero() {
				continue
			}
			s := g.sites[c.site]
			kinds := []struct {
				user int
				kind string
			}{{c.worker, AssignSocialWorker}}
			if m := g.families[c.family].mediator; m >= 0 {
				kinds = append(kinds, struct {
					user int
					kind string
				}{m, AssignMediator})
			}
			for _, k := range kinds {
				if !yield([]any{pgUUID(g.uuidAt(from)), pgUUID(c.id), pgUUID(s.id), pgUUID(g.users[k.user].id), k.kind, from,
					nullDate(c.ended), pgUUID(g.users[s.coordinator].id), at(from, 8, 30)}) {
					return
				}
			}
		}
	})
}

func (g *synth) writeConsents(ctx context.Context, tx pgx.Tx) error {
	err := g.copy(ctx, tx, "prevention.consents", []string{"id", "participant_id", "guardian_id", "purposes", "form_version",
		"form_language", "state", "given_on", "withdrawn_on", "recorded_by", "mediator_id", "version", "created_at", "updated_at"},
		func(yield func([]any) bool) {
			for _, k := range g.consents {
				c := &g.children[k.child]
				f := &g.families[c.family]
				guardian, lang, mediator := any(nil), "de", any(nil)
				if k.guardian >= 0 {
					guardian = pgUUID(g.guardians[k.guardian].id)
				}
				if f.mediator >= 0 {
					lang, mediator = f.interp, pgUUID(g.users[f.mediator].id)
				}
				created := cmp.Or(k.requested, k.given)
				changed := latest(created, k.given, k.refused, k.withdrawn)
				events := 0
				for _, d := range []time.Time{k.requested, k.given, k.refused, k.withdrawn} {
					if !d.IsZero() {
						events++
					}
				}
				if !yield([]any{pgUUID(k.id), pgUUID(c.id), guardian, k.purposes, fmt.Sprintf("%d-1", created.Year()), lang,
					string(k.state()), nullDate(k.given), nullDate(k.withdrawn), pgUUID(g.users[c.worker].id), mediator,
					events, at(created, 10, 0), at(changed, 10, 0)}) {
					return
				}
			}
		})
	if err != nil {
		return err
	}
	return g.copy(ctx, tx, "prevention.consent_events", []string{"consent_id", "state", "effective_on", "changed_by", "changed_at"},
		func(yield func([]any) bool) {
			for _, k := range g.consents {
				by := pgUUID(g.users[g.children[k.child].worker].id)
				for i, d := range []time.Time{k.requested, k.given, k.refused, k.withdrawn} {
					state := []ConsentState{ConsentRequested, ConsentGiven, ConsentRefused, ConsentWithdrawn}[i]
					if !d.IsZero() && !yield([]any{pgUUID(k.id), string(state), d, by, at(d, 10, i)}) {
						return
					}
				}
			}
		})
}

func (g *synth) writeReferrals(ctx context.Context, tx pgx.Tx) error {
	err := g.copy(ctx, tx, referralsTable, []string{"id", "site_id", "submitted_by", "created_at", "first_name_enc",
		"last_name_enc", "date_of_birth_enc", "gender", "guardian_name_enc", "guardian_phone_enc", "reason_category",
		"police_reference", "referring_unit"}, func(yield func([]any) bool) {
		for _, r := range g.referrals {
			s := g.sites[r.site]
			if !yield([]any{pgUUID(r.id), pgUUID(s.id), pgUUID(g.users[s.police].id), r.created,
				g.seal(referralsTable, "first_name", r.id, r.first), g.seal(referralsTable, "last_name", r.id, r.last),
				g.seal(referralsTable, "date_of_birth", r.id, r.dob.Format(time.DateOnly)), r.gender,
				g.seal(referralsTable, "guardian_name", r.id, r.guardian), g.seal(referralsTable, "guardian_phone", r.id, r.phone),
				r.reason, r.ref, r.unit}) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	err = g.copy(ctx, tx, "prevention.intake_decisions", []string{"referral_id", "site_id", "decision", "decline_reason",
		"participant_id", "decided_by", "decided_at", "kind"}, func(yield func([]any) bool) {
		for _, r := range g.referrals {
			s := g.sites[r.site]
			row := []any{pgUUID(r.id), pgUUID(s.id), "accepted", nil, nil, pgUUID(g.users[s.coordinator].id), r.decided, "new_case"}
			switch {
			case r.child >= 0:
				row[4] = pgUUID(g.children[r.child].id)
			case r.decline != "":
				row[2], row[3], row[7] = "declined", r.decline, nil
			default:
				continue // still in the intake queue
			}
			if !yield(row) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return g.writePoliceContacts(ctx, tx)
}

func (g *synth) writeCasework(ctx context.Context, tx pgx.Tx) error {
	err := g.copy(ctx, tx, goalsTable, []string{"id", "participant_id", "title_enc", "target_on", "progress", "outcome",
		"version", "created_by", "created_at", "updated_at"}, func(yield func([]any) bool) {
		for _, gl := range g.goals {
			c := &g.children[gl.child]
			updated := at(gl.created, 12, 0)
			if !c.ended.IsZero() {
				updated = at(c.ended, 12, 0)
			}
			if !yield([]any{pgUUID(gl.id), pgUUID(c.id), g.seal(goalsTable, "title", gl.id, gl.title), gl.target, gl.progress,
				nullString(gl.outcome), 1, pgUUID(g.users[c.worker].id), at(gl.created, 12, 0), updated}) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	err = g.copy(ctx, tx, "prevention.reviews", []string{"id", "participant_id", "held_on", "created_by", "created_at"},
		func(yield func([]any) bool) {
			for _, rv := range g.reviews {
				c := &g.children[rv.child]
				if !yield([]any{pgUUID(rv.id), pgUUID(c.id), rv.held, pgUUID(g.users[c.worker].id), at(rv.held, 14, 0)}) {
					return
				}
			}
		})
	if err != nil {
		return err
	}
	err = g.copy(ctx, tx, "prevention.extensions", []string{"id", "participant_id", "months", "reason_enc", "created_by", "created_at"},
		func(yield func([]any) bool) {
			for ci := range g.children {
				c := &g.children[ci]
				if c.extended.IsZero() {
					continue
				}
				id := g.uuidAt(c.extended)
				reason := syntheticExtensionReasons[ci%len(syntheticExtensionReasons)]
				if !yield([]any{pgUUID(id), pgUUID(c.id), ExtensionMonths, g.seal("prevention.extensions", "reason", id, reason),
					pgUUID(g.users[c.worker].id), at(c.extended, 13, 0)}) {
					return
				}
			}
		})
	if err != nil {
		return err
	}
	return g.copy(ctx, tx, "prevention.closings", []string{"participant_id", "ended_on", "handover", "created_by", "created_at"},
		func(yield func([]any) bool) {
			for _, c := range g.children {
				if c.handover == "" {
					continue
				}
				if !yield([]any{pgUUID(c.id), c.ended, c.handover, pgUUID(g.users[c.worker].id), at(c.ended, 15, 0)}) {
					return
				}
			}
		})
}

func (g *synth) writeSessions(ctx context.Context, tx pgx.Tx) error {
	yesterday := at(g.today.AddDate(0, 0, -1), 12, 0)
	err := g.copy(ctx, tx, sessionsTable, []string{"id", "site_id", "measure_id", "module_id", "status", "started_at",
		"duration_minutes", "mediator_present", "created_by", "version", "created_at", "updated_at"},
		func(yield func([]any) bool) {
			for _, s := range g.sessions {
				site := g.sites[s.site]
				m := site.measures[s.measure]
				module := any(nil)
				if s.module >= 0 {
					module = pgUUID(m.modules[s.module])
				}
				start := time.Unix(s.start, 0).UTC()
				created := start
				if s.status == 2 { // planned: recorded some day before, never after today
					created = start.AddDate(0, 0, -7)
					if created.After(yesterday) {
						created = yesterday
					}
				}
				if !yield([]any{pgUUID(s.id), pgUUID(site.id), pgUUID(m.id), module, sessionStatuses[s.status], start,
					int32(s.minutes), s.mediator, pgUUID(g.users[s.staff[0]].id), 1, created, created}) {
					return
				}
			}
		})
	if err != nil {
		return err
	}
	err = g.copy(ctx, tx, "prevention.session_staff", []string{"session_id", "user_id", "started_at"}, func(yield func([]any) bool) {
		for _, s := range g.sessions {
			for _, u := range s.staff {
				if u >= 0 && !yield([]any{pgUUID(s.id), pgUUID(g.users[u].id), time.Unix(s.start, 0).UTC()}) {
					return
				}
			}
		}
	})
	if err != nil {
		return err
	}
	return g.copy(ctx, tx, "prevention.session_participants", []string{"session_id", "participant_id", "attendance", "started_at"},
		func(yield func([]any) bool) {
			for _, s := range g.sessions {
				start := time.Unix(s.start, 0).UTC()
				for _, e := range g.entries[s.first : s.first+int32(s.n)] {
					if !yield([]any{pgUUID(s.id), pgUUID(g.children[e.child].id), entryAttendance[e.attendance], start}) {
						return
					}
				}
			}
		})
}

func (g *synth) writeVisits(ctx context.Context, tx pgx.Tx) error {
	yesterday := at(g.today.AddDate(0, 0, -1), 12, 0)
	return g.copy(ctx, tx, visitsTable, []string{"id", "site_id", "participant_id", "starts_at", "ends_at", "purpose",
		"mediator_id", "social_worker_id", "status", "created_by", "version", "created_at", "updated_at"},
		func(yield func([]any) bool) {
			for _, v := range g.visits {
				c := &g.children[v.child]
				start := time.Unix(v.start, 0).UTC()
				created := start.AddDate(0, 0, -2)
				if created.After(yesterday) {
					created = yesterday
				}
				updated := created
				if v.status != 0 {
					updated = start.Add(time.Duration(v.minutes) * time.Minute)
				}
				mediator, worker, by := any(nil), any(nil), pgtype.UUID{}
				if v.mediator >= 0 {
					mediator, by = pgUUID(g.users[v.mediator].id), pgUUID(g.users[v.mediator].id)
				}
				if v.worker >= 0 {
					worker, by = pgUUID(g.users[v.worker].id), pgUUID(g.users[v.worker].id)
				}
				if !yield([]any{pgUUID(v.id), pgUUID(g.sites[c.site].id), pgUUID(c.id), start,
					start.Add(time.Duration(v.minutes) * time.Minute), VisitPurposes[v.purpose], mediator, worker,
					visitStatuses[v.status], by, 1 + min(int(v.status), 1), created, updated}) {
					return
				}
			}
		})
}

// copy streams rows into table with COPY: rows are generated while pgx
// sends them, so no table is ever held as boxed values in memory.
func (g *synth) copy(ctx context.Context, tx pgx.Tx, table string, columns []string, rows iter.Seq[[]any]) error {
	next, stop := iter.Pull(rows)
	defer stop()
	_, err := tx.CopyFrom(ctx, pgx.Identifier(strings.Split(table, ".")), columns, &rowSource{next: next})
	if err == nil {
		err = g.err
	}
	if err != nil {
		return fmt.Errorf("models: synthetic %s: %w", table, err)
	}
	return nil
}

// rowSource adapts a pulled row sequence to pgx.CopyFromSource.
type rowSource struct {
	next func() ([]any, bool)
	row  []any
}

func (s *rowSource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}

func (s *rowSource) Values() ([]any, error) { return s.row, nil }

func (s *rowSource) Err() error { return nil }

// seal encrypts a value for one column of one row through Store.seal, so
// that the associated data is the one every read path expects; empty
// values become NULL. The first error stops the COPY it belongs to.
func (g *synth) seal(table, column string, id [16]byte, value string) any {
	p, err := g.sealer.seal(table, column, uuid.UUID(id).String(), value)
	if err != nil {
		g.err = cmp.Or(g.err, err)
		return nil
	}
	if p == nil {
		return nil
	}
	return *p
}

// uuid draws a version 4 UUID from the seeded source: the same seed gives
// the same ids.
func (g *synth) uuid() [16]byte {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], g.r.Uint64())
	binary.LittleEndian.PutUint64(u[8:], g.r.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// uuidAt draws a version 7 UUID for the time t. Rows written in time
// order then get growing ids, and their B-tree inserts append to the
// index instead of scattering over it: at two million sessions that is
// most of the cost of COPY.
func (g *synth) uuidAt(t time.Time) [16]byte {
	u := g.uuid()
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = u[6]&0x0f | 0x70
	return u
}

func (g *synth) chance(p float64) bool { return g.r.Float64() < p }

// weighted draws an index with probability proportional to its weight.
func (g *synth) weighted(weights ...float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := g.r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func pick[T any](g *synth, list []T) T { return list[g.r.IntN(len(list))] }

func pgUUID(id [16]byte) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func nullDate(d time.Time) any {
	if d.IsZero() {
		return nil
	}
	return d
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// at is a time of day on day (UTC).
func at(day time.Time, hour, minute int) time.Time {
	return day.Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// days counts the days from a to b (both midnight UTC).
func days(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }

// monday is the Monday of day's week.
func monday(day time.Time) time.Time { return day.AddDate(0, 0, -(int(day.Weekday())+6)%7) }

// latest is the latest of the non-zero times.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}
