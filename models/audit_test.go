package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// appendEvents appends n test events as role and returns the first error.
// It does not touch testing.T, so goroutines may call it.
func appendEvents(tdb *dbtest.DB, role models.DBRole, n int) error {
	for i := 0; i < n; i++ {
		err := models.InTx(context.Background(), tdb.Gorm, role, models.Actor{}, func(st *models.Store) error {
			return st.Audit(models.AuditEvent{Action: "test.event", ObjectType: "thing", ObjectID: "x", Details: map[string]any{"i": i}})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func appendAudit(t *testing.T, tdb *dbtest.DB, role models.DBRole, n int) {
	t.Helper()
	if err := appendEvents(tdb, role, n); err != nil {
		t.Fatal(err)
	}
}

// testSigner signs the tests' checkpoints.
var testSigner = models.AuditSignerFromDataKey(models.EphemeralDataKey())

// seal runs sealing rounds until every entry is linked and returns the last
// checkpoint signed.
func seal(t *testing.T, db *gorm.DB) *models.Checkpoint {
	t.Helper()
	var last *models.Checkpoint
	for {
		c, err := models.SealAudit(context.Background(), db, testSigner, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			return last
		}
		last = c
	}
}

func verify(t *testing.T, db *gorm.DB, external ...*models.Checkpoint) (*models.AuditReport, *models.AuditBreak) {
	t.Helper()
	rep, brk, err := models.VerifyAudit(context.Background(), db, models.NewAuditKeys(testSigner), external...)
	if err != nil {
		t.Fatal(err)
	}
	return rep, brk
}

// superuser runs sql as a superuser who switches the triggers off: the
// attacker the signed checkpoints are for.
func superuser(t *testing.T, db *gorm.DB, sql string) {
	t.Helper()
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL session_replication_role = replica").Error; err != nil {
			return err
		}
		return tx.Exec(sql).Error
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestAuditChainIntactUnderConcurrency: every role appends at once; the
// entries wait for the sealer, which links them all into one chain.
func TestAuditChainIntactUnderConcurrency(t *testing.T) {
	tdb := dbtest.New(t)
	var wg sync.WaitGroup
	roles := slices.DeleteFunc(slices.Clone(models.DBRoles), func(r models.DBRole) bool { return r == models.DBJobs }) // serves no request
	errs := make(chan error, len(roles))
	for _, role := range roles {
		wg.Add(1)
		go func(role models.DBRole) {
			defer wg.Done()
			if err := appendEvents(tdb, role, 10); err != nil {
				errs <- err
			}
		}(role)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep, brk := verify(t, tdb.Gorm)
	if brk != nil || rep.Sealed != 0 || rep.Unsealed != int64(10*len(roles)) {
		t.Fatalf("before sealing: %+v %+v", rep, brk)
	}
	c := seal(t, tdb.Gorm)
	if c == nil || c.Size != int64(10*len(roles)) {
		t.Fatalf("checkpoint %+v", c)
	}
	rep, brk = verify(t, tdb.Gorm)
	if brk != nil || rep.Sealed != c.Size || rep.Unsealed != 0 || len(rep.Checkpoints) != 1 {
		t.Fatalf("verify: %+v %+v", rep, brk)
	}
}

// TestAuditSealersOneAtATime: sealers on several instances (goroutines with
// their own connections here) while requests append: no entry is linked
// twice or skipped, and while one sealer holds the lock another does
// nothing.
func TestAuditSealersOneAtATime(t *testing.T) {
	tdb := dbtest.New(t)
	stop := make(chan struct{})
	var sealers sync.WaitGroup
	errs := make(chan error, 8)
	for range 3 {
		sealers.Add(1)
		go func() {
			defer sealers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := models.SealAudit(context.Background(), tdb.Gorm, testSigner, time.Now()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var appenders sync.WaitGroup
	for _, role := range []models.DBRole{models.DBPrevention, models.DBMediation, models.DBAuth} {
		appenders.Add(1)
		go func() {
			defer appenders.Done()
			if err := appendEvents(tdb, role, 20); err != nil {
				errs <- err
			}
		}()
	}
	appenders.Wait()
	close(stop)
	sealers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seal(t, tdb.Gorm)
	rep, brk := verify(t, tdb.Gorm)
	if brk != nil || rep.Sealed != 60 {
		t.Fatalf("verify: %+v %+v", rep, brk)
	}
	// A sealer holding the lock keeps the others out.
	appendAudit(t, tdb, models.DBAuth, 1)
	tx := tdb.Gorm.Begin()
	defer tx.Rollback()
	if err := tx.Exec("SELECT pg_advisory_xact_lock(7152026)").Error; err != nil {
		t.Fatal(err)
	}
	if c, err := models.SealAudit(context.Background(), tdb.Gorm, testSigner, time.Now()); err != nil || c != nil {
		t.Fatalf("a second sealer sealed: %+v %v", c, err)
	}
}

func TestAuditRolledBackEntryLeavesNoGap(t *testing.T) {
	tdb := dbtest.New(t)
	appendAudit(t, tdb, models.DBAuth, 2)
	_ = models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		_ = st.Audit(models.AuditEvent{Action: "test.rolled_back"})
		return context.Canceled
	})
	appendAudit(t, tdb, models.DBAuth, 2)
	seal(t, tdb.Gorm)
	if rep, brk := verify(t, tdb.Gorm); brk != nil || rep.Sealed != 4 {
		t.Fatalf("verify after rollback: %+v %+v", rep, brk)
	}
}

// TestAuditSealedEntriesFinal: a sealed entry cannot be changed or deleted,
// not even by the owner, unless triggers are switched off; the sealer
// cannot re-seal it; no application role may seal.
func TestAuditSealedEntriesFinal(t *testing.T) {
	tdb := dbtest.New(t)
	appendAudit(t, tdb, models.DBPrevention, 2)
	seal(t, tdb.Gorm)
	appendAudit(t, tdb, models.DBPrevention, 1)
	for _, sql := range []string{"UPDATE audit.events SET details = '{}' WHERE seq = 1", "DELETE FROM audit.events WHERE seq = 2"} {
		if err := tdb.Gorm.Exec(sql).Error; !models.IsPermissionDenied(err) {
			t.Errorf("owner: %s: %v", sql, err)
		}
	}
	if err := asRole(tdb.Gorm, "kurve_sealer", models.Actor{}, "UPDATE audit.events SET hash = prev_hash WHERE seq = 1"); !models.IsPermissionDenied(err) {
		t.Errorf("the sealer re-seals a sealed entry: %v", err)
	}
	for _, sql := range []string{"UPDATE audit.events SET details = '{}' WHERE seq IS NULL", "DELETE FROM audit.events WHERE seq IS NULL",
		"INSERT INTO audit.checkpoints (size, head, signed_at, key_id, signature) VALUES (1, sha256(''), now(), '0123456789abcdef', '\\x00')"} {
		err := asRole(tdb.Gorm, "kurve_sealer", models.Actor{}, sql)
		if strings.HasPrefix(sql, "INSERT") {
			// The sealer may write checkpoints; the check constraint refuses
			// a malformed signature.
			if err == nil {
				t.Errorf("sealer: %s accepted", sql)
			}
			continue
		}
		if !models.IsPermissionDenied(err) {
			t.Errorf("sealer: %s: %v", sql, err)
		}
	}
	for _, role := range models.DBRoles {
		for _, sql := range []string{"UPDATE audit.events SET seq = 99 WHERE seq IS NULL", "SELECT * FROM audit.link(10)",
			"INSERT INTO audit.checkpoints (size, head, signed_at, key_id, signature) SELECT size, head, signed_at, key_id, signature FROM audit.checkpoints"} {
			if err := asRole(tdb.Gorm, role, models.Actor{}, sql); !models.IsPermissionDenied(err) {
				t.Errorf("%s: %s: %v", role, sql, err)
			}
		}
	}
}

// TestAuditTamperDetection: what a superuser can do to the log, and where
// verify finds it.
func TestAuditTamperDetection(t *testing.T) {
	cases := []struct {
		name     string
		tamper   string
		external bool // prove against the checkpoint kept outside the database
		wantSeq  int64
		reason   string
	}{
		{"changed content", "UPDATE audit.events SET details = '{\"i\": 99}' WHERE seq = 3", false, 3, "content"},
		{"changed action", "UPDATE audit.events SET action = 'auth.login' WHERE seq = 5", false, 5, "content"},
		{"removed entry", "DELETE FROM audit.events WHERE seq = 4", false, 4, "missing"},
		{"removed an entry and renumbered", "DELETE FROM audit.events WHERE seq = 2; UPDATE audit.events SET seq = seq - 1 WHERE seq > 2", false, 2, "previous hash"},
		{"reordered", "UPDATE audit.events SET seq = -1 WHERE seq = 2; UPDATE audit.events SET seq = 2 WHERE seq = 3; UPDATE audit.events SET seq = 3 WHERE seq = -1", false, 2, "previous hash"},
		{"removed the last entries", "DELETE FROM audit.events WHERE seq > 4", false, 5, "missing"},
		{"removed the last entries and their checkpoints", "DELETE FROM audit.events WHERE seq > 4; DELETE FROM audit.checkpoints WHERE size > 4", true, 5, "missing"},
		{"removed every checkpoint", "DELETE FROM audit.checkpoints", false, 6, "no signed checkpoint"},
		{"rewritten and re-hashed", rehash, false, 6, "rewritten"},
		{"rewritten, re-hashed, later checkpoints removed", rehash + "; DELETE FROM audit.checkpoints WHERE size > 4", true, 6, "rewritten"},
		{"forged checkpoint", rehash + "; UPDATE audit.checkpoints SET head = (SELECT hash FROM audit.events WHERE seq = 6)", false, 6, "signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tdb := dbtest.New(t)
			appendAudit(t, tdb, models.DBPrevention, 3)
			seal(t, tdb.Gorm)
			appendAudit(t, tdb, models.DBPrevention, 3)
			kept := seal(t, tdb.Gorm)
			if _, brk := verify(t, tdb.Gorm, kept); brk != nil {
				t.Fatalf("before tampering: %+v", brk)
			}
			superuser(t, tdb.Gorm, tc.tamper)
			var external []*models.Checkpoint
			if tc.external {
				external = append(external, kept)
			}
			_, brk := verify(t, tdb.Gorm, external...)
			if brk == nil {
				t.Fatal("tampering not detected")
			}
			if brk.Seq != tc.wantSeq || !strings.Contains(brk.Reason, tc.reason) {
				t.Fatalf("break = %+v, want entry %d with %q", brk, tc.wantSeq, tc.reason)
			}
			if !tc.external {
				return
			}
			// The database alone cannot tell: its checkpoint of 3 entries
			// still holds. That is what keeping checkpoints outside is for.
			if _, brk := verify(t, tdb.Gorm); brk != nil {
				t.Errorf("without the external checkpoint: %+v", brk)
			}
		})
	}
}

// rehash changes entry 5 and recomputes every hash from it on, as a
// superuser who knows the digest would.
const rehash = `UPDATE audit.events SET details = '{"i": 99}' WHERE seq = 5;
	UPDATE audit.events SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq >= 5;
	SELECT * FROM audit.link(1000)`

// TestAuditCheckpointSignature: a checkpoint proves only what was signed.
func TestAuditCheckpointSignature(t *testing.T) {
	tdb := dbtest.New(t)
	appendAudit(t, tdb, models.DBAuth, 3)
	c := seal(t, tdb.Gorm)
	keys := models.NewAuditKeys(testSigner)
	if err := keys.Verify(c); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(c *models.Checkpoint){
		"size": func(c *models.Checkpoint) { c.Size++ },
		"head": func(c *models.Checkpoint) { c.Head = append(models.HexBytes{}, c.Head...); c.Head[0] ^= 1 },
		"time": func(c *models.Checkpoint) { c.SignedAt = c.SignedAt.Add(time.Second) },
		"key":  func(c *models.Checkpoint) { c.KeyID = "0123456789abcdef" },
		"bytes": func(c *models.Checkpoint) {
			c.Signature = append(models.HexBytes{}, c.Signature...)
			c.Signature[10] ^= 1
		},
	} {
		forged := *c
		change(&forged)
		if err := keys.Verify(&forged); err == nil {
			t.Errorf("a checkpoint with another %s verifies", name)
		}
	}
	other := models.AuditSignerFromDataKey(models.EphemeralDataKey())
	if err := models.NewAuditKeys(other).Verify(c); err == nil {
		t.Error("another key verifies the checkpoint")
	}
	if testSigner.KeyID() == other.KeyID() {
		t.Error("two data keys give one checkpoint key")
	}
}

// TestSealerReadsOnlyTheLog: the sealer's role reads the audit log and its
// checkpoints and nothing else of any side.
func TestSealerReadsOnlyTheLog(t *testing.T) {
	tdb := dbtest.New(t)
	for _, rel := range relations(t, tdb.Gorm) {
		err := asRole(tdb.Gorm, "kurve_sealer", models.Actor{}, "SELECT 1 FROM "+rel.String()+" LIMIT 1")
		mine := rel.String() == "audit.events" || rel.String() == "audit.checkpoints"
		switch {
		case mine && err != nil:
			t.Errorf("the sealer cannot read %s: %v", rel, err)
		case !mine && !models.IsPermissionDenied(err):
			t.Errorf("the sealer reads %s: %v", rel, err)
		}
	}
}

// TestReadParticipantAuditsWhatItReads: ReadParticipant returns the
// participant and writes the read's event in one statement, for case staff
// and for a language mediator (whose columns are fewer); a case the actor
// does not see is not found and leaves no event.
func TestReadParticipantAuditsWhatItReads(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Gelesen", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	w.assign(p, "sw", models.AssignSocialWorker, today.AddDate(0, -1, 0), nil)
	w.assign(p, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	events := func(user string) int {
		var n int
		w.db.Gorm.Raw(`SELECT count(*) FROM audit.events WHERE action = ? AND object_type = 'participant' AND object_id = ? AND actor_id = ?
			AND request_id = 'req-1' AND details = '{"via": "test"}'`, models.AuditParticipantRead, p.ID, w.users[user].ID).Scan(&n)
		return n
	}
	read := func(user string) (*models.Participant, error) {
		var got *models.Participant
		err := w.as(user, func(st *models.Store) (err error) {
			u := w.users[user]
			got, err = st.ReadParticipant(p.ID, models.AuditEvent{ActorID: &u.ID, ActorRole: string(u.Role), SiteID: &u.SiteID,
				Action: models.AuditParticipantRead, ObjectType: "participant", RequestID: "req-1", Details: map[string]any{"via": "test"}})
			return err
		})
		return got, err
	}
	for _, user := range []string{"sw", "med", "coord"} {
		got, err := read(user)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		if got.ID != p.ID || got.FirstName != "Gelesen" {
			t.Fatalf("%s: read participant %s, or not its name", user, got.ID)
		}
		if got.Limited != (user == "med") || (user == "med") != (got.DateOfBirth == nil) {
			t.Errorf("%s: limited %v, date of birth read %v", user, got.Limited, got.DateOfBirth != nil)
		}
		if n := events(user); n != 1 {
			t.Errorf("%s: %d events of the read, want 1", user, n)
		}
	}
	for _, user := range []string{"sw2", "med2", "coordDU"} {
		if _, err := read(user); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s read a case they do not see: %v", user, err)
		}
		if n := events(user); n != 0 {
			t.Errorf("%s: %d events of a read that found nothing", user, n)
		}
	}
}
