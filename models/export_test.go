package models

import "gorm.io/gorm"

// NewStoreForTest binds a Store to a transaction opened by a test.
func NewStoreForTest(tx *gorm.DB) *Store { return &Store{db: tx} }

// ExpireTokensForTest moves every token's expiry into the past.
func ExpireTokensForTest(s *Store) error {
	return s.db.Exec("UPDATE auth.api_tokens SET expires_at = now() - interval '1 second'").Error
}

// AuditSearchPlanForTest explains the audit search's statement for f as
// the store's role (EXPLAIN, in JSON).
func AuditSearchPlanForTest(s *Store, f AuditFilter) (string, error) {
	sql, args := auditSearchSQL(f, f.ParticipantID, DefaultAuditLimit)
	var plan string
	err := s.db.Raw("EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan).Error
	return plan, err
}

// SettingsForTest reads the transaction's role and actor settings:
// current_user, kurve.user_id, kurve.site_id, kurve.role, kurve.today and
// statement_timeout.
func SettingsForTest(s *Store) ([]string, error) {
	var row struct{ R, U, S, A, D, T string }
	err := s.db.Raw(`SELECT current_user AS r, coalesce(current_setting('kurve.user_id', true), '') AS u,
		coalesce(current_setting('kurve.site_id', true), '') AS s, coalesce(current_setting('kurve.role', true), '') AS a,
		coalesce(current_setting('kurve.today', true), '') AS d, current_setting('statement_timeout') AS t`).Scan(&row).Error
	return []string{row.R, row.U, row.S, row.A, row.D, row.T}, err
}

// ExecForTest runs a statement in the store's transaction.
func ExecForTest(s *Store, sql string) error { return s.db.Exec(sql).Error }
