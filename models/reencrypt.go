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
}

func (c SealedColumn) aadName() string {
	return c.Table + "." + strings.TrimSuffix(c.Column, "_enc")
}

// SealedColumns lists every encrypted column. TestSealedColumnsComplete
// fails when a *_enc column exists that this list lacks.
var SealedColumns = []SealedColumn{
	{"org.users", "totp_secret"},
	{"prevention.families", "address_enc"}, {"prevention.families", "phone_enc"}, {"prevention.families", "email_enc"},
	{"prevention.participants", "first_name_enc"}, {"prevention.participants", "last_name_enc"},
	{"prevention.participants", "date_of_birth_enc"}, {"prevention.participants", "school_enc"}, {"prevention.participants", "notes_enc"},
	{"prevention.guardians", "first_name_enc"}, {"prevention.guardians", "last_name_enc"},
	{"prevention.guardians", "phone_enc"}, {"prevention.guardians", "email_enc"},
	{"enforcement.referrals", "first_name_enc"}, {"enforcement.referrals", "last_name_enc"},
	{"enforcement.referrals", "date_of_birth_enc"}, {"enforcement.referrals", "guardian_name_enc"},
	{"enforcement.referrals", "guardian_phone_enc"}, {"enforcement.referrals", "officer_name_enc"},
	{"enforcement.referrals", "notes_enc"},
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
		column := pgx.Identifier{col.Column}.Sanitize()
		for {
			n := 0
			err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				type row struct {
					ID    string
					Value string
				}
				var rows []row
				q := fmt.Sprintf("SELECT id::text AS id, %s AS value FROM %s WHERE %s IS NOT NULL AND left(%s, %d) <> ? ORDER BY id LIMIT ? FOR UPDATE",
					column, table, column, column, len(prefix))
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
					if err := tx.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE id = ?", table, column), enc, r.ID).Error; err != nil {
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
