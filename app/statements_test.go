package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"kurve/app"
	"kurve/models"
	"kurve/models/dbtest"
)

// statementLog is a pgx tracer that records every statement the pool
// sends, BEGIN and COMMIT included.
type statementLog struct {
	mu    sync.Mutex
	stmts []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stmts = append(l.stmts, strings.Join(strings.Fields(d.SQL), " "))
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements recorded since the last take.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.stmts
	l.stmts = nil
	return out
}

// scaleSite is a server on the kept synthetic data set of n participants
// whose pool counts statements, with the staff of its largest site
// (Gelsenkirchen, about a fifth of the participants) signed in by role.
type scaleSite struct {
	*harness
	log *statementLog
	// caseID is an active case of the social worker with the largest
	// caseload, the one with the most sessions.
	caseID string
}

func newScaleSite(t *testing.T, n int) *scaleSite {
	t.Helper()
	tdb := dbtest.Synthetic(t, n)
	log := &statementLog{}
	traced, err := models.OpenRequests(tdb.URL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(traced) })
	key, err := models.ParseDataKey(dbtest.SyntheticDataKey())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(app.Config{DataKey: &key, Clock: testNow, Requests: traced}, tdb.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	logins := map[models.Role]string{}
	for _, r := range []models.Role{models.RoleCoordinator, models.RoleMediator} {
		var email string
		tdb.Gorm.Raw(`SELECT u.email FROM org.users u JOIN org.sites s ON s.id = u.site_id
			WHERE s.code = 'GE' AND u.role = ? AND u.active ORDER BY u.email LIMIT 1`, r).Scan(&email)
		logins[r] = email
	}
	var worker struct{ Email, CaseID string }
	tdb.Gorm.Raw(`WITH w AS (
			SELECT a.user_id, count(*) AS n FROM prevention.assignments a JOIN prevention.participants p ON p.id = a.participant_id
			JOIN org.sites s ON s.id = p.site_id
			WHERE s.code = 'GE' AND a.kind = 'social_worker' AND a.until_on IS NULL GROUP BY a.user_id ORDER BY n DESC, a.user_id LIMIT 1)
		SELECT u.email, (SELECT p.id FROM prevention.assignments a JOIN prevention.participants p ON p.id = a.participant_id
			WHERE a.user_id = w.user_id AND a.until_on IS NULL AND p.status = 'active'
			ORDER BY (SELECT count(*) FROM prevention.session_participants sp WHERE sp.participant_id = p.id) DESC, p.id LIMIT 1) AS case_id
		FROM w JOIN org.users u ON u.id = w.user_id`).Scan(&worker)
	logins[models.RoleSocialWorker] = worker.Email
	logins[models.RoleEvaluator] = "evaluation@es.kurve.example"
	for r, e := range logins {
		if e == "" {
			t.Fatalf("synthetic data set of %d: no %s at GE", n, r)
		}
	}
	if worker.CaseID == "" {
		t.Fatalf("synthetic data set of %d: no active case", n)
	}
	h := &harness{t: t, srv: srv, db: tdb, logins: logins, now: testNow}
	return &scaleSite{harness: h, log: log, caseID: worker.CaseID}
}

// statements requests path as role and returns the statements it cost.
func (s *scaleSite) statements(role models.Role, path string) []string {
	s.t.Helper()
	var resp *http.Response
	if strings.HasPrefix(path, "/api/") {
		tok := s.token(role)
		s.log.take()
		resp = s.api("GET", path, tok, "")
	} else {
		ws := s.signIn(role)
		s.log.take()
		resp = s.web("GET", path, &ws, nil)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stmts := s.log.take()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s as %s: %d %.300s", path, role, resp.StatusCode, body)
	}
	return stmts
}

// TestStatementsDoNotGrowWithTheSite requests each main page of each role
// at a small and at a large site and fails when a page costs more SQL
// statements at the large one: a page must cost by what it shows, not by
// the size of the site or the caseload (issue 15). The small data set has
// about 10 participants at the site, the large one about 1,000
// (KURVE_SCALE_PARTICIPANTS sets the large set's total).
func TestStatementsDoNotGrowWithTheSite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two synthetic data sets")
	}
	n := 5000
	if v := os.Getenv("KURVE_SCALE_PARTICIPANTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	small, large := newScaleSite(t, 50), newScaleSite(t, n)
	pages := []struct {
		role models.Role
		path string
	}{
		{models.RoleCoordinator, "/"},
		{models.RoleSocialWorker, "/"},
		{models.RoleMediator, "/"},
		{models.RoleCoordinator, "/participants"},
		{models.RoleSocialWorker, "/participants"},
		{models.RoleMediator, "/participants"},
		{models.RoleSocialWorker, "/participants/{case}"},
		{models.RoleCoordinator, "/participants/{case}"},
		{models.RoleSocialWorker, "/participants/{case}/sessions"},
		{models.RoleSocialWorker, "/sessions/new"},
		{models.RoleCoordinator, "/sessions/new"},
		{models.RoleCoordinator, "/intake"},
		{models.RoleMediator, "/visits"},
		{models.RoleSocialWorker, "/visits"},
		{models.RoleEvaluator, "/stats"},
		{models.RoleCoordinator, "/api/v1/participants"},
		{models.RoleSocialWorker, "/api/v1/participants/{case}"},
	}
	for _, p := range pages {
		t.Run(fmt.Sprintf("%s %s", p.role, p.path), func(t *testing.T) {
			small.t, large.t = t, t
			a := small.statements(p.role, strings.ReplaceAll(p.path, "{case}", small.caseID))
			b := large.statements(p.role, strings.ReplaceAll(p.path, "{case}", large.caseID))
			t.Logf("%d statements at the small site, %d at the large one", len(a), len(b))
			if len(b) > len(a)+emptySkips {
				t.Errorf("%d statements at a site of about %d participants, %d at one of about 10:\n%s",
					len(b), n/5, len(a), strings.Join(tally(b), "\n"))
			}
			for _, line := range tally(b) {
				var times int
				fmt.Sscanf(line, "%d×", &times)
				if times > 2 {
					t.Errorf("a statement sent once per row:\n%s", line)
				}
				if longList.MatchString(line) {
					t.Errorf("a statement whose text grows with a list (one parse and plan per length; use an array parameter):\n%.300s", line)
				}
			}
		})
	}
}

// longList is a list of more than five parameters ("IN ($1, $2, …)"),
// which GORM writes for a slice: its text, and so its parsing and plan,
// differs with the list's length.
var longList = regexp.MustCompile(`\(\$\d+(, ?\$\d+){5,}\)`)

// emptySkips is how many more statements a page may send at the large
// site: a page skips a lookup whose list is empty (the sessions' staff when
// there is no session this week), and the small site's lists often are.
// A statement per row shows as repetition, which fails on its own.
const emptySkips = 4

// tally lists each distinct statement with how often it was sent, the
// most frequent first.
func tally(stmts []string) []string {
	seen := map[string]int{}
	for _, s := range stmts {
		seen[s]++
	}
	out := make([]string, 0, len(seen))
	for s, n := range seen {
		out = append(out, fmt.Sprintf("%5d× %.160s", n, s))
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}
