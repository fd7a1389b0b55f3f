package models_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// group creates a group as user with the given members and returns its id.
func (w *world) group(user, name string, members ...string) string {
	w.t.Helper()
	var id string
	w.must(user, func(st *models.Store) error {
		g, err := st.CreateGroup(name)
		if err != nil {
			return err
		}
		id = g.ID
		n, err := st.AddGroupMembers(g.ID, members)
		if err == nil && n != len(members) {
			w.t.Errorf("group %s: %d of %d members joined", name, n, len(members))
		}
		return err
	})
	return id
}

func childIDs(cs []models.ChildName) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// TestGroupsNeedToKnow: a group is the site's; each of its members is
// visible only with the child (SPEC §2). A social worker sees of a shared
// group their own cases only, the coordinator all, another site nothing;
// mediators and the police have no privilege on groups at all.
func TestGroupsNeedToKnow(t *testing.T) {
	w := newWorld(t)
	mine := w.activeCaseOf("sw", "Eigen", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	theirs := w.activeCaseOf("sw2", "Fremd", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	w.assign(mine, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	id := w.group("coord", "Dienstagsgruppe", mine.ID, theirs.ID)

	for user, want := range map[string][]string{"coord": sorted(mine.ID, theirs.ID), "sw": {mine.ID}, "sw2": {theirs.ID}} {
		w.must(user, func(st *models.Store) error {
			gs, err := st.Groups()
			if err != nil {
				return err
			}
			if len(gs) != 1 || gs[0].Name != "Dienstagsgruppe" || gs[0].Members != len(want) || gs[0].Active != len(want) {
				t.Errorf("%s lists groups %+v, want Dienstagsgruppe with %d members", user, gs, len(want))
			}
			ms, err := st.GroupMembers(id)
			if err != nil {
				return err
			}
			if got := childIDs(ms); !slices.Equal(got, want) {
				t.Errorf("%s sees members %v, want %v", user, got, want)
			}
			for _, m := range ms {
				if m.ID == mine.ID && (m.FirstName != "Eigen" || m.CaseNumber != mine.CaseNumber) {
					t.Errorf("%s: member not decrypted: %+v", user, m)
				}
			}
			return nil
		})
	}
	// Another site: neither the group nor its members.
	w.must("coordDU", func(st *models.Store) error {
		gs, err := st.Groups()
		if len(gs) != 0 {
			t.Errorf("another site's coordinator lists %d groups", len(gs))
		}
		if _, err := st.GroupByID(id); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another site's coordinator reads the group: %v", err)
		}
		if ms, _ := st.GroupMembers(id); len(ms) != 0 {
			t.Errorf("another site's coordinator sees %d members", len(ms))
		}
		return err
	})
	// Mediators (even of a member) and the police read nothing of groups.
	if err := w.as("med", func(st *models.Store) error { _, err := st.Groups(); return err }); !models.IsPermissionDenied(err) {
		t.Errorf("mediator reads groups: %v", err)
	}
	police := w.users["coordDU"]
	for _, role := range []models.DBRole{models.DBMediation, models.DBEnforcement, models.DBStatistics, models.DBAdmin, models.DBDPO} {
		for _, sql := range []string{"SELECT name FROM prevention.groups", "SELECT participant_id FROM prevention.group_members"} {
			if err := asRole(w.db.Gorm, role, models.Actor{UserID: police.ID, SiteID: police.SiteID, Role: police.Role}, sql); !models.IsPermissionDenied(err) {
				t.Errorf("%s: %s: %v", role, sql, err)
			}
		}
	}
}

// TestGroupChanges: names are unique per site among current groups
// (case-insensitive) and archiving frees one; only the owner and the
// coordinator rename or archive; members join only when visible and of
// the group's site.
func TestGroupChanges(t *testing.T) {
	w := newWorld(t)
	mine := w.activeCaseOf("sw", "Eigen", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	theirs := w.activeCaseOf("sw2", "Fremd", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	du := w.newParticipant("coordDU", "Duisburg", time.Date(2014, 3, 1, 0, 0, 0, 0, time.UTC))
	id := w.group("sw", "Dienstagsgruppe")

	field := func(err error) string {
		var ve *models.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) == 0 {
			return "no validation error: " + errString(err)
		}
		return ve.Fields[0].MessageID
	}
	w.must("sw2", func(st *models.Store) error {
		for name, want := range map[string]string{
			"dienstagsgruppe":         "validation.group_name_taken",
			"  ":                      "validation.required",
			strings.Repeat("x", 81):   "validation.max",
			"  Dienstagsgruppe      ": "validation.group_name_taken",
		} {
			if _, err := st.CreateGroup(name); field(err) != want {
				t.Errorf("create %q: %s, want %s", name, field(err), want)
			}
		}
		if _, err := st.RenameGroup(id, "Fremd umbenannt"); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a colleague renamed the group: %v", err)
		}
		if err := st.ArchiveGroup(id); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a colleague archived the group: %v", err)
		}
		// Members: the colleague's own case joins; one not visible, one
		// of another site and a garbled id do not.
		n, err := st.AddGroupMembers(id, []string{theirs.ID, mine.ID, du.ID, "not-an-id", theirs.ID})
		if err != nil || n != 1 {
			t.Errorf("added %d members (%v), want the colleague's own case only", n, err)
		}
		return nil
	})
	w.must("sw", func(st *models.Store) error {
		g, err := st.RenameGroup(id, "  Mittwochsgruppe ")
		if err != nil || g.Name != "Mittwochsgruppe" {
			t.Fatalf("owner's rename: %+v %v", g, err)
		}
		if n, err := st.AddGroupMembers(id, []string{mine.ID, mine.ID}); err != nil || n != 1 {
			t.Errorf("owner added %d (%v)", n, err)
		}
		if err := st.RemoveGroupMember(id, theirs.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("removed a member not visible: %v", err)
		}
		return st.RemoveGroupMember(id, mine.ID)
	})
	var members int
	w.db.Gorm.Raw("SELECT count(*) FROM prevention.group_members WHERE group_id = ?", id).Scan(&members)
	if members != 1 {
		t.Errorf("%d member rows, want the colleague's case only", members)
	}
	// The coordinator archives; the name is free, the archived group takes
	// no changes and is no longer listed.
	w.must("coord", func(st *models.Store) error {
		if err := st.ArchiveGroup(id); err != nil {
			return err
		}
		if err := st.ArchiveGroup(id); err != nil {
			t.Errorf("archiving twice: %v", err)
		}
		if _, err := st.CreateGroup("Mittwochsgruppe"); err != nil {
			t.Errorf("archived group's name not free: %v", err)
		}
		if _, err := st.AddGroupMembers(id, []string{mine.ID}); !errors.Is(err, models.ErrConflict) {
			t.Errorf("added to an archived group: %v", err)
		}
		gs, err := st.Groups()
		if len(gs) != 1 || gs[0].ID == id {
			t.Errorf("groups after archiving: %+v", gs)
		}
		return err
	})
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestEraseLeavesNoGroup: erasing a child (dpo, retention) deletes its
// memberships; nothing of it is left in a group.
func TestEraseLeavesNoGroup(t *testing.T) {
	w := newWorld(t)
	gone := w.newParticipant("coord", "Geht", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	stays := w.newParticipant("coord", "Bleibt", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	id := w.group("coord", "Dienstagsgruppe", gone.ID, stays.ID)
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.participants SET status = 'declined' WHERE id = ?", gone.ID)
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, gone.ID); err != nil {
		t.Fatal(err)
	}
	var left []string
	w.db.Gorm.Raw("SELECT participant_id::text FROM prevention.group_members WHERE group_id = ?", id).Scan(&left)
	if !slices.Equal(left, []string{stays.ID}) {
		t.Errorf("members after erasure: %v, want only the child not erased", left)
	}
}

// TestSessionChildren: the session form's children come from the ticks,
// the group picked, the caseload and a case-number search; only active
// children, each with its consent warning.
func TestSessionChildren(t *testing.T) {
	w := newWorld(t)
	w.catalogue()
	a := w.activeCaseOf("sw", "Amir", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	b := w.activeCaseOf("sw", "Bela", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	c := w.activeCaseOf("sw2", "Cem", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	pending := w.newParticipant("coord", "Dana", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	w.assign(pending, "sw", models.AssignSocialWorker, today.AddDate(0, -1, 0), nil)
	group := w.group("coord", "Dienstagsgruppe", b.ID, c.ID, pending.ID)
	// b lacks consent: a second guardian with custody who has not signed.
	w.must("sw", func(st *models.Store) error {
		_, err := st.AddGuardian(b.ID, models.GuardianInput{FirstName: "V", LastName: "Bela", Relationship: "father", HasCustody: true})
		return err
	})
	list := func(user string, q models.SessionChoice) (map[string]models.SessionChild, bool) {
		out := map[string]models.SessionChild{}
		var more bool
		w.must(user, func(st *models.Store) error {
			cs, m, err := st.SessionChildren(q, today)
			for _, c := range cs {
				out[c.ID] = c
			}
			more = m
			return err
		})
		return out, more
	}
	keys := func(m map[string]models.SessionChild) []string {
		var ids []string
		for id := range m {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}

	// The social worker: the caseload (active only) and the group's
	// members they see.
	got, _ := list("sw", models.SessionChoice{Caseload: true, GroupID: group})
	if !slices.Equal(keys(got), sorted(a.ID, b.ID)) {
		t.Errorf("social worker is offered %v, want their two active cases", keys(got))
	}
	if !got[b.ID].InGroup || got[a.ID].InGroup || !got[b.ID].ConsentMissing || got[a.ID].ConsentMissing || got[a.ID].FirstName != "Amir" {
		t.Errorf("group, consent or name wrong: %+v", got)
	}
	// The coordinator: nothing but what is asked for.
	if got, _ := list("coord", models.SessionChoice{Caseload: true}); len(got) != 0 {
		t.Errorf("coordinator without group or search is offered %v", keys(got))
	}
	got, _ = list("coord", models.SessionChoice{GroupID: group, Ticked: []string{a.ID, "garbled"}})
	if !slices.Equal(keys(got), sorted(a.ID, b.ID, c.ID)) || got[a.ID].InGroup || !got[c.ID].InGroup {
		t.Errorf("coordinator's group and ticks: %v", got)
	}
	// Search by the case number's start, active children only, bounded.
	got, more := list("coord", models.SessionChoice{Search: strings.ToLower(c.CaseNumber)})
	if !slices.Equal(keys(got), []string{c.ID}) || !got[c.ID].Found || more {
		t.Errorf("search for %s: %v (more %v)", c.CaseNumber, got, more)
	}
	got, _ = list("coord", models.SessionChoice{Search: "ES-"})
	if !slices.Equal(keys(got), sorted(a.ID, b.ID, c.ID)) {
		t.Errorf("search ES-: %v", keys(got))
	}
	if got, _ := list("sw", models.SessionChoice{Search: "ES-"}); !slices.Equal(keys(got), sorted(a.ID, b.ID)) {
		t.Errorf("social worker's search finds %v, want their own cases", keys(got))
	}
	for _, q := range []string{"%", "_S-", `\`} {
		if got, _ := list("coord", models.SessionChoice{Search: q}); len(got) != 0 {
			t.Errorf("search %q is a pattern: %v", q, keys(got))
		}
	}
}

// TestGroupRules: the pure rules the groups rely on, without a database.
func TestGroupRules(t *testing.T) {
	for _, st := range models.Statuses {
		if st.Open() != slices.Contains(models.OpenStatuses, st) {
			t.Errorf("%s: Open() %v disagrees with OpenStatuses", st, st.Open())
		}
	}
	for name, ok := range map[string]bool{"Dienstagsgruppe": true, " x ": true, strings.Repeat("ä", 80): true,
		"": false, " \t ": false, strings.Repeat("ä", 81): false} {
		if err := models.ValidateGroupName(name); (err == nil) != ok {
			t.Errorf("ValidateGroupName(%q) = %v", name, err)
		}
	}
}

// TestGroupNameOnceUnderRace: staff of one site create a group of the same
// name at the same moment (double taps, two colleagues): exactly one
// group is made, every other attempt is refused as a taken name — the
// unique index decides, not a check before the insert.
func TestGroupNameOnceUnderRace(t *testing.T) {
	w := newWorld(t)
	const n = 12
	errs := make(chan error, n)
	var start sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		user := []string{"coord", "sw", "sw2"}[i%3]
		go func() {
			start.Wait()
			errs <- w.as(user, func(st *models.Store) error {
				_, err := st.CreateGroup("Mittwochsgruppe")
				return err
			})
		}()
	}
	start.Done()
	made, taken := 0, 0
	for i := 0; i < n; i++ {
		err := <-errs
		var ve *models.ValidationError
		switch {
		case err == nil:
			made++
		case errors.As(err, &ve):
			taken++
		default:
			t.Errorf("create: %v", err)
		}
	}
	var rows int
	w.db.Gorm.Raw(`SELECT count(*) FROM prevention.groups WHERE lower(name) = 'mittwochsgruppe' AND archived_at IS NULL`).Scan(&rows)
	if made != 1 || taken != n-1 || rows != 1 {
		t.Errorf("%d made, %d refused, %d rows; want 1, %d, 1", made, taken, rows, n-1)
	}
}
