package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kurve/models"
)

// TestSealedColumnsComplete: every *_enc column of the schema is known to
// the re-encryption, so key rotation cannot forget one.
func TestSealedColumnsComplete(t *testing.T) {
	w := newWorld(t)
	var cols []struct{ Schema, Table, Column string }
	w.db.Gorm.Raw(`SELECT table_schema AS schema, table_name AS "table", column_name AS "column" FROM information_schema.columns
		WHERE column_name LIKE '%\_enc' AND table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&cols)
	known := map[string]bool{}
	for _, c := range models.SealedColumns {
		known[c.Table+"."+c.Column] = true
	}
	if len(cols) < 10 {
		t.Fatalf("found only %d encrypted columns", len(cols))
	}
	for _, c := range cols {
		if !known[c.Schema+"."+c.Table+"."+c.Column] {
			t.Errorf("%s.%s.%s is not in models.SealedColumns", c.Schema, c.Table, c.Column)
		}
	}
}

// TestReencrypt rotates the data key: afterwards every value is under the
// new key and readable without the old one.
func TestReencrypt(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Gizem", time.Date(2013, 9, 9, 0, 0, 0, 0, time.UTC))
	w.must("coord", func(st *models.Store) error {
		_, err := st.AddGuardian(p.ID, models.GuardianInput{FirstName: "Hatice", LastName: "Rotation", Phone: "0201 777", Relationship: "mother", HasCustody: true})
		return err
	})
	newKey := models.EphemeralDataKey()
	// The rotating cipher encrypts with the new key and still reads the old.
	rot, err := models.NewCipher(newKey, w.key)
	if err != nil {
		t.Fatal(err)
	}
	n, err := models.Reencrypt(context.Background(), w.db.Gorm, rot, 3)
	if err != nil {
		t.Fatal(err)
	}
	if n < 9 {
		t.Errorf("re-encrypted %d values", n)
	}
	var stale int64
	w.db.Gorm.Raw(`SELECT count(*) FROM prevention.participants WHERE first_name_enc NOT LIKE ?`, "v1:"+newKey.ID+":%").Scan(&stale)
	if stale != 0 {
		t.Errorf("%d values still under the old key", stale)
	}
	if again, _ := models.Reencrypt(context.Background(), w.db.Gorm, rot, 3); again != 0 {
		t.Errorf("second run rewrote %d values", again)
	}
	only, _ := models.NewCipher(newKey)
	w.cipher = only
	w.must("coord", func(st *models.Store) error {
		got, err := st.ParticipantByID(p.ID)
		if err != nil {
			return err
		}
		gs, err := st.GuardiansOf(p.ID)
		if err == nil && (got.FirstName != "Gizem" || len(gs) != 1 || !strings.HasPrefix(gs[0].Phone, "0201")) {
			t.Errorf("after rotation: %s %+v", got.FirstName, gs)
		}
		return err
	})
}
