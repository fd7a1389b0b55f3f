package models_test

import (
	"context"
	"strings"
	"sync"
	"testing"

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

func TestAuditChainIntactUnderConcurrency(t *testing.T) {
	tdb := dbtest.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, len(models.DBRoles))
	for _, role := range models.DBRoles {
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
	n, brk, err := models.VerifyAuditChain(context.Background(), tdb.Gorm)
	if err != nil || brk != nil {
		t.Fatalf("verify: %v %+v", err, brk)
	}
	if n != int64(10*len(models.DBRoles)) {
		t.Fatalf("checked %d entries, want %d", n, 10*len(models.DBRoles))
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
	if _, brk, err := models.VerifyAuditChain(context.Background(), tdb.Gorm); err != nil || brk != nil {
		t.Fatalf("verify after rollback: %v %+v", err, brk)
	}
}

func TestAuditTamperDetection(t *testing.T) {
	cases := []struct {
		name    string
		tamper  string
		wantSeq int64
		reason  string
	}{
		{"changed content", "UPDATE audit.events SET details = '{\"i\": 99}' WHERE seq = 3", 3, "content"},
		{"changed action", "UPDATE audit.events SET action = 'auth.login' WHERE seq = 5", 5, "content"},
		{"removed entry", "DELETE FROM audit.events WHERE seq = 4", 4, "missing"},
		{"removed last but one and rehashed", "DELETE FROM audit.events WHERE seq = 2; UPDATE audit.events SET seq = seq - 1 WHERE seq > 2", 2, "previous hash"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tdb := dbtest.New(t)
			appendAudit(t, tdb, models.DBPrevention, 6)
			// Tampering needs the owner: the app roles cannot do it at all.
			dbtest.Exec(t, tdb.Gorm, tc.tamper)
			_, brk, err := models.VerifyAuditChain(context.Background(), tdb.Gorm)
			if err != nil {
				t.Fatal(err)
			}
			if brk == nil {
				t.Fatal("tampering not detected")
			}
			if brk.Seq != tc.wantSeq || !strings.Contains(brk.Reason, tc.reason) {
				t.Fatalf("break = %+v, want seq %d with %q", brk, tc.wantSeq, tc.reason)
			}
		})
	}
}
