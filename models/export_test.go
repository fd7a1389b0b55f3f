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
