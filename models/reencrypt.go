package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// SealedColumn is a column whose values the application encrypts. The
// associated data of each value is "<table>.<name>:<row id>", where name is
// the column without its _enc suffix.
type SealedColumn struct {
	Table  string
	Column string
	// Key is the row's id column, "id" when empty.
	Key string
}

func (c SealedColumn) aadName() string {
	return c.Table + "." + strings.TrimSuffix(c.Column, "_enc")
}

// SealedColumns lists every encrypted column. TestSealedColumnsComplete
// fails when a *_enc column exists that this list lacks.
var SealedColumns = []SealedColumn{
	{Table: "org.users", Column: "totp_secret"},
	{Table: "prevention.families", Column: "address_enc"}, {Table: "prevention.families", Column: "phone_enc"}, {Table: "prevention.families", Column: "email_enc"},
	{Table: "prevention.participants", Column: "first_name_enc"}, {Table: "prevention.participants", Column: "last_name_enc"},
	{Table: "prevention.participants", Column: "date_of_birth_enc"}, {Table: "prevention.participants", Column: "school_enc"}, {Table: "prevention.participants", Column: "notes_enc"},
	{Table: "prevention.guardians", Column: "first_name_enc"}, {Table: "prevention.guardians", Column: "last_name_enc"},
	{Table: "prevention.guardians", Column: "phone_enc"}, {Table: "prevention.guardians", Column: "email_enc"},
	{Table: "enforcement.referrals", Column: "first_name_enc"}, {Table: "enforcement.referrals", Column: "last_name_enc"},
	{Table: "enforcement.referrals", Column: "date_of_birth_enc"}, {Table: "enforcement.referrals", Column: "guardian_name_enc"},
	{Table: "enforcement.referrals", Column: "guardian_phone_enc"}, {Table: "enforcement.referrals", Column: "officer_name_enc"},
	{Table: "enforcement.referrals", Column: "notes_enc"},
	{Table: "prevention.sessions", Column: "location_enc"}, {Table: "prevention.sessions", Column: "notes_enc"},
	{Table: "prevention.goals", Column: "title_enc"}, {Table: "prevention.reviews", Column: "notes_enc"},
	{Table: "prevention.assessments", Column: "comment_enc"},
	{Table: "prevention.extensions", Column: "reason_enc"},
	{Table: "prevention.closings", Column: "assessment_enc", Key: "participant_id"},
	{Table: "prevention.visits", Column: "outcome_note_enc"},
	{Table: "auth.calendar_feeds", Column: "token_enc", Key: "user_id"},
	{Table: "auth.idempotency_keys", Column: "answer_enc"},
	{Table: "prevention.status_changes", Column: "note_enc"},
	{Table: "auth.parked_forms", Column: "form_enc"},
}

// Reencrypt rewrites every encrypted value that is not under the cipher's
// current key (key rotation): decrypt with the old key it names, encrypt
// with the current one. It runs as the connecting (owner) role, which row
// security does not restrict, in batches of one transaction each, and can
// be interrupted and run again. It returns how many values it rewrote.
func Reencrypt(ctx context.Context, db *gorm.DB, c *Cipher, batch int) (int, error) {
	total := 0
	prefix := "v1:" + c.KeyID() + ":"
	for _, col := range SealedColumns {
		table := pgx.Identifier(strings.Split(col.Table, ".")).Sanitize()
		key := "id"
		if col.Key != "" {
			key = col.Key
		}
		keyCol := pgx.Identifier{key}.Sanitize()
		column := pgx.Identifier{col.Column}.Sanitize()
		for {
			n := 0
			err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				type row struct {
					ID    string
					Value string
				}
				var rows []row
				q := fmt.Sprintf("SELECT %s::text AS id, %s AS value FROM %s WHERE %s IS NOT NULL AND left(%s, %d) <> ? ORDER BY 1 LIMIT ? FOR UPDATE",
					keyCol, column, table, column, column, len(prefix))
				if err := tx.Raw(q, prefix, batch).Scan(&rows).Error; err != nil {
					return err
				}
				for _, r := range rows {
					plain, err := c.Decrypt(r.Value, col.aadName()+":"+r.ID)
					if err != nil {
						return fmt.Errorf("%s.%s of %s: %w", col.Table, col.Column, r.ID, err)
					}
					enc, err := c.Encrypt(plain, col.aadName()+":"+r.ID)
					if err != nil {
						return err
					}
					// By key and old value: a key may name several rows
					// (a participant's closings), each with its own value.
					if err := tx.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ? AND %s = ?", table, column, keyCol, column),
						enc, r.ID, r.Value).Error; err != nil {
						return err
					}
				}
				n = len(rows)
				return nil
			})
			if err != nil {
				return total, fmt.Errorf("models: reencrypt: %w", err)
			}
			total += n
			if n < batch {
				break
			}
		}
	}
	return total, nil
}
